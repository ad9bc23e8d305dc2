"""Recompute the persons' name keys (gu/g order, initial h/j/y, w, x, Bryan, Geovanny) and fill
the new phone key. Stored keys follow registry.names as it is when this runs.

Only the rows whose keys change are written, a few thousand per statement batch, so that a
registry of a million persons is migrated in minutes (bulk_update's CASE per row was far slower).
"""

from django.db import migrations

READ_CHUNK = 5000
WRITE_BATCH = 5000


def recompute(apps, schema_editor):
    from registry.names import name_keys, phone_key

    Person = apps.get_model("registry", "Person")
    statement = (
        "UPDATE registry_person SET given_name_keys = %s, surname_keys = %s, phone_key = %s "
        "WHERE id = %s"
    )
    rows = Person.objects.values_list(
        "pk",
        "given_names",
        "first_surname",
        "second_surname",
        "phone",
        "given_name_keys",
        "surname_keys",
        "phone_key",
    ).order_by()
    changed = []
    with schema_editor.connection.cursor() as cursor:
        for pk, given, first, second, phone, *stored in rows.iterator(chunk_size=READ_CHUNK):
            keys = [
                " ".join(name_keys(given)),
                " ".join(name_keys(f"{first} {second}")),
                phone_key(phone),
            ]
            if keys != stored:
                # The id as the database stores it (a UUID column on PostgreSQL, text on SQLite).
                changed.append(
                    (*keys, pk if schema_editor.connection.vendor == "postgresql" else pk.hex)
                )
            if len(changed) >= WRITE_BATCH:
                cursor.executemany(statement, changed)
                changed = []
        if changed:
            cursor.executemany(statement, changed)


class Migration(migrations.Migration):
    dependencies = [("registry", "0004_person_phone_key")]

    # Reversing keeps the new keys: they are derived data, and the old rules had a bug.
    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
