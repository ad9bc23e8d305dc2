"""Give the roles the permission to read anonymised aggregates (reporting.view_aggregates)."""

from django.db import migrations


def sync_roles(apps, schema_editor):
    from casework.roles import roles_sync

    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0002_seed_indicators"),
        ("casework", "0008_roles_for_casework"),
        ("services", "0003_roles_for_services"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
