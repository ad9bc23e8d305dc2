import casework.models
from django.db import migrations, models


def keys_draw(apps, schema_editor):
    """AddField gives every existing person the same default: draw each one's key in the
    database, one statement, without loading the persons."""
    person = apps.get_model("casework", "Person")
    table = schema_editor.quote_name(person._meta.db_table)
    if schema_editor.connection.vendor == "postgresql":
        draw = "floor(random() * 1048576)::integer"
    else:
        draw = "abs(random()) % 1048576"
    schema_editor.execute(f"UPDATE {table} SET record_key = {draw}")  # noqa: S608


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0014_audit_entries_without_personal_values"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="record_key",
            field=models.PositiveIntegerField(
                default=casework.models.record_key_new,
                editable=False,
                verbose_name="statistical record key",
            ),
        ),
        migrations.RunPython(keys_draw, migrations.RunPython.noop),
    ]
