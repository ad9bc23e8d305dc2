"""On PostgreSQL, trigram indexes on the name and document keys, so that the registry search's
LIKE patterns (a word anywhere in the keys, one typo allowed) are answered from indexes
rather than by reading every person. SQLite (the embedded default) needs none at its size."""

from django.db import migrations

INDEXES = {
    "person_given_keys_trgm": "given_name_keys",
    "person_surname_keys_trgm": "surname_keys",
    "person_document_key_trgm": "document_key",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON registry_person "
            f"USING gin ({column} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0006_correction")]

    operations = [migrations.RunPython(create, drop)]
