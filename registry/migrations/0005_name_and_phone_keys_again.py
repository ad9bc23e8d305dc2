"""Recompute the persons' name keys (gu/g order, initial h/j/y, w, x, Bryan, Geovanny) and fill
the new phone key. Stored keys follow registry.names as it is when this runs."""

from django.db import migrations

BATCH = 2000


def recompute(apps, schema_editor):
    from registry.names import name_keys, phone_key

    Person = apps.get_model("registry", "Person")
    rows = Person.objects.only("pk", "given_names", "first_surname", "second_surname", "phone")
    batch = []
    for person in rows.iterator(chunk_size=BATCH):
        person.given_name_keys = " ".join(name_keys(person.given_names))
        person.surname_keys = " ".join(
            name_keys(f"{person.first_surname} {person.second_surname}")
        )
        person.phone_key = phone_key(person.phone)
        batch.append(person)
        if len(batch) >= BATCH:
            Person.objects.bulk_update(batch, ["given_name_keys", "surname_keys", "phone_key"])
            batch = []
    if batch:
        Person.objects.bulk_update(batch, ["given_name_keys", "surname_keys", "phone_key"])


class Migration(migrations.Migration):
    dependencies = [("registry", "0004_person_phone_key")]

    # Reversing keeps the new keys: they are derived data, and the old rules had a bug.
    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
