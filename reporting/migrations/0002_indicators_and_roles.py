"""Seed the indicator definitions in Spanish and English, and give the roles their permissions
(every app's models exist by now: reporting is the top layer)."""

from django.db import migrations

# code, counting rule, unit, name_es, name_en, definition_es, definition_en
INDICATORS = (
    (
        "received", "received", "persons",
        "Personas retornadas recibidas", "Returned migrants received",
        "Personas únicas con al menos una llegada registrada en el periodo, según la fecha local "
        "del centro de recepción.",
        "Unique persons with at least one arrival recorded in the period, by the local date at "
        "the reception centre.",
    ),
    (
        "received_aid", "received_aid", "persons",
        "Personas que recibieron asistencia post-llegada", "Persons who received post-arrival aid",
        "Personas únicas con al menos una entrega completada y no anulada de un servicio de "
        "asistencia post-llegada en el periodo.",
        "Unique persons with at least one completed, non-voided delivery of a post-arrival aid "
        "service in the period.",
    ),
    (
        "received_reintegration", "received_reintegration", "persons",
        "Personas que recibieron servicios de reintegración",
        "Persons who received reintegration services",
        "Personas únicas con al menos una entrega completada y no anulada de un servicio de "
        "reintegración en el periodo.",
        "Unique persons with at least one completed, non-voided delivery of a reintegration "
        "service in the period.",
    ),
    (
        "services_delivered", "services_delivered", "deliveries",
        "Servicios entregados", "Services delivered",
        "Número de entregas completadas y no anuladas en el periodo, y la suma de sus cantidades, "
        "por tipo de servicio.",
        "Number of completed, non-voided deliveries in the period, and the sum of their "
        "quantities, by service type.",
    ),
    (
        "completed_training", "completed_training", "persons",
        "Personas que completaron una formación", "Persons who completed training",
        "Personas únicas con una entrega completada y no anulada de formación técnica y "
        "vocacional o de certificación de competencias, con la formación marcada como "
        "completada, en el periodo.",
        "Unique persons with a completed, non-voided delivery of vocational training or skills "
        "certification with the training marked as completed, in the period.",
    ),
    (
        "placed_in_jobs", "placed_in_jobs", "persons",
        "Personas colocadas en un empleo", "Persons placed in jobs",
        "Personas únicas con una entrega completada y no anulada de inserción laboral en el "
        "periodo.",
        "Unique persons with a completed, non-voided job placement delivery in the period.",
    ),
    (
        "psychosocial_support", "psychosocial_support", "persons",
        "Personas que recibieron apoyo psicosocial", "Persons who received psychosocial support",
        "Personas únicas con una entrega completada y no anulada de un servicio de la dimensión "
        "psicosocial (asistencia o reintegración) en el periodo.",
        "Unique persons with a completed, non-voided delivery of a service of the psychosocial "
        "dimension (aid or reintegration) in the period.",
    ),
    (
        "repeat_returnees", "repeat_returnees", "persons",
        "Personas retornadas más de una vez", "Repeat returnees",
        "Personas únicas con una llegada en el periodo que, al final del periodo, tenían al "
        "menos dos llegadas registradas (una anterior o una segunda en el mismo periodo). Un "
        "retorno posterior no cambia las cifras de un periodo.",
        "Unique persons with an arrival in the period who, by the end of the period, had at "
        "least two arrivals recorded (an earlier one, or a second in the same period). A later "
        "return does not change a period's figures.",
    ),
    (
        "repeat_arrivals", "repeat_arrivals", "arrivals",
        "Llegadas de personas retornadas anteriormente", "Arrivals of persons returned before",
        "Número de llegadas en el periodo de personas que ya tenían registrada una llegada "
        "anterior.",
        "Number of arrivals in the period of persons who already had an earlier arrival "
        "recorded.",
    ),
)  # fmt: skip


def load(apps, schema_editor):
    Indicator = apps.get_model("reporting", "Indicator")
    for order, row in enumerate(INDICATORS, start=1):
        code, rule, unit, name_es, name_en, definition_es, definition_en = row
        Indicator.objects.update_or_create(
            code=code,
            defaults={
                "counting_rule": rule,
                "unit": unit,
                "name": name_es,
                "name_es": name_es,
                "name_en": name_en,
                "definition": definition_es,
                "definition_es": definition_es,
                "definition_en": definition_en,
                "sort_order": order,
            },
        )


def unload(apps, schema_editor):
    Indicator = apps.get_model("reporting", "Indicator")
    Indicator.objects.filter(code__in=[row[0] for row in INDICATORS]).delete()


def roles_sync(apps, schema_editor):
    from registry.roles import roles_sync

    roles_sync(apps)


def roles_remove(apps, schema_editor):
    from registry.roles import ROLE_PERMISSIONS

    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0001_initial"),
        ("registry", "0001_initial"),
        ("intake", "0001_initial"),
        ("casework", "0001_initial"),
        ("services", "0001_initial"),
        ("auditlog", "__latest__"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(load, unload),
        migrations.RunPython(roles_sync, roles_remove),
    ]
