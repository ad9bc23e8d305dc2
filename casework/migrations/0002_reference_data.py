"""Load the shared reference data: countries, geography (GT, HN, SV), document types, reasons."""

from django.db import migrations

from casework.referencedata import reference_data_load, reference_data_unload


def load(apps, schema_editor):
    reference_data_load(lambda name: apps.get_model("casework", name))


def unload(apps, schema_editor):
    reference_data_unload(lambda name: apps.get_model("casework", name))


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load, unload),
    ]
