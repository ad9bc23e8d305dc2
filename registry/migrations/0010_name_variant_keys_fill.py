"""Fill the persons' name variant keys (every name key and its one-letter deletions) from the
stored keys, and on PostgreSQL index their words (GIN on the array), so that the registry
search finds a name with one typo by equality instead of dozens of LIKE patterns.

Rows are written a few thousand per statement batch, as in 0005, so that a registry of a
million persons is migrated in minutes.
"""

from django.db import migrations

READ_CHUNK = 5000
WRITE_BATCH = 5000
INDEX = "person_name_variants_gin"


def forward(apps, schema_editor):
    fill(apps, schema_editor)
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {INDEX} ON registry_person "
                "USING gin (string_to_array(name_variant_keys, ' '))"
            )
            cursor.execute("ANALYZE registry_person")


def fill(apps, schema_editor):
    """The variant keys of every person whose stored ones differ (no index: forward adds it)."""
    from registry.names import person_name_variants

    Person = apps.get_model("registry", "Person")
    postgres = schema_editor.connection.vendor == "postgresql"
    statement = "UPDATE registry_person SET name_variant_keys = %s WHERE id = %s"
    rows = Person.objects.values_list(
        "pk", "given_name_keys", "surname_keys", "name_variant_keys"
    ).order_by()
    changed = []
    with schema_editor.connection.cursor() as cursor:
        for pk, given, surnames, stored in rows.iterator(chunk_size=READ_CHUNK):
            variants = person_name_variants(given, surnames)
            if variants != stored:
                # The id as the database stores it (a UUID column on PostgreSQL, text on SQLite).
                changed.append((variants, pk if postgres else pk.hex))
            if len(changed) >= WRITE_BATCH:
                cursor.executemany(statement, changed)
                changed = []
        if changed:
            cursor.executemany(statement, changed)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    # Not atomic: a million rows are written in batches (each statement is its own work).
    atomic = False
    dependencies = [("registry", "0009_person_name_variant_keys")]

    operations = [migrations.RunPython(forward, drop_index)]
