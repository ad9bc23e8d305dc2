"""Load closure reasons, vulnerability categories and partners' service lines (es and en)."""

from django.db import migrations

from casework.referencedata import case_reference_load, case_reference_unload


def load(apps, schema_editor):
    case_reference_load(lambda name: apps.get_model("casework", name))


def unload(apps, schema_editor):
    case_reference_unload(lambda name: apps.get_model("casework", name))


class Migration(migrations.Migration):
    dependencies = [("casework", "0006_cases_notes_referrals_follow_ups")]

    operations = [migrations.RunPython(load, unload)]
