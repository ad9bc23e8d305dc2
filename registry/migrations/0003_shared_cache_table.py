"""The database cache's table (settings.THROTTLE_CACHE_TABLE), where rate limits are counted
across processes when no Redis is configured. Made whatever CACHE_URL says today, so that
switching to the database cache later needs no extra step."""

from django.conf import settings
from django.core.management import call_command
from django.db import migrations


def table_create(apps, schema_editor):
    # createcachetable skips a table that already exists.
    call_command(
        "createcachetable",
        settings.THROTTLE_CACHE_TABLE,
        database=schema_editor.connection.alias,
        verbosity=0,
    )


def table_drop(apps, schema_editor):
    quoted = schema_editor.quote_name(settings.THROTTLE_CACHE_TABLE)
    schema_editor.execute(f"DROP TABLE IF EXISTS {quoted}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_reference_data")]

    operations = [migrations.RunPython(table_create, table_drop)]
