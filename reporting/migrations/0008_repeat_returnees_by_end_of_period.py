"""Repeat returnees are counted by the end of the period: the definition says so."""

from django.db import migrations

DEFINITIONS = {
    "es": (
        "Personas únicas con una llegada en el periodo que, al final del periodo, tenían al "
        "menos dos llegadas registradas (una anterior o una segunda en el mismo periodo). Un "
        "retorno posterior no cambia las cifras de un periodo."
    ),
    "en": (
        "Unique persons with an arrival in the period who, by the end of the period, had at "
        "least two arrivals recorded (an earlier one, or a second in the same period). A later "
        "return does not change a period's figures."
    ),
}


def forwards(apps, schema_editor):
    Indicator = apps.get_model("reporting", "Indicator")
    Indicator.objects.filter(counting_rule="repeat_returnees").update(
        definition=DEFINITIONS["es"],
        definition_es=DEFINITIONS["es"],
        definition_en=DEFINITIONS["en"],
    )


class Migration(migrations.Migration):
    dependencies = [("reporting", "0007_releases_frozen_periods")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
