"""Load the shared reference data (es and en): countries, geography of GT, HN and SV, document
types, migration reasons, closure reasons, vulnerability categories and partners' service lines.
"""

from django.db import migrations

from registry.referencedata import (
    case_reference_load,
    case_reference_unload,
    reference_data_load,
    reference_data_unload,
)


def load(apps, schema_editor):
    reference_data_load(lambda name: apps.get_model("registry", name))
    case_reference_load(lambda name: apps.get_model("registry", name))


def unload(apps, schema_editor):
    case_reference_unload(lambda name: apps.get_model("registry", name))
    reference_data_unload(lambda name: apps.get_model("registry", name))


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
