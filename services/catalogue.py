"""The seed service catalogue (post-arrival aid and reintegration services), in es and en."""

from __future__ import annotations

from collections.abc import Callable

from django.db import models
from django.utils import translation

# code, category, dimension, unit, requires_case, outcome, max_quantity, name_es, name_en,
# description_es, description_en
CATALOGUE: tuple[tuple, ...] = (
    ("food", "aid", "social", "meal", False, "none", 5, "Alimentación / refrigerio", "Food / snack",
     "Comida o refrigerio a la llegada.", "A meal or snack on arrival."),
    ("hygiene_kit", "aid", "social", "kit", False, "none", 3, "Kit de higiene", "Hygiene kit",
     "Artículos de higiene personal.", "Personal hygiene items."),
    ("clothing", "aid", "social", "kit", False, "none", 5, "Ropa y calzado", "Clothing and footwear",
     "Ropa, zapatos o cinchos.", "Clothes, shoes or belts."),
    ("transport", "aid", "social", "trip", False, "none", 4, "Transporte a su lugar de origen",
     "Onward transport", "Pasaje o traslado hasta su comunidad.",
     "Fare or transfer to the person's community."),
    ("phone_call", "aid", "social", "call", False, "none", 5, "Llamada telefónica", "Phone call",
     "Llamada para avisar a la familia.", "A call to let the family know."),
    ("medical_care", "aid", "social", "consultation", False, "none", 3, "Atención médica",
     "Medical care", "Consulta o primeros auxilios.", "Consultation or first aid."),
    ("psych_first_aid", "aid", "psychosocial", "session", False, "none", 2,
     "Primeros auxilios psicológicos", "Psychological first aid",
     "Contención emocional a la llegada.", "Emotional support on arrival."),
    ("temporary_lodging", "aid", "social", "night", False, "none", 7, "Albergue temporal",
     "Temporary lodging", "Noches de albergue.", "Nights of lodging."),
    ("id_document_support", "aid", "social", "item", False, "none", 2,
     "Apoyo para documentos de identidad", "ID document support",
     "Trámite o reposición de documentos.", "Obtaining or replacing documents."),
    ("emergency_cash", "aid", "economic", "amount", False, "cash", 1, "Apoyo económico de emergencia",
     "Emergency cash", "Entrega de efectivo o tarjeta.", "Cash or card handed over."),
    ("protection_referral", "aid", "social", "referral", False, "none", 1,
     "Referencia a protección", "Protection referral",
     "Referencia a instituciones de protección.", "Referral to protection services."),
    ("vocational_training", "reintegration", "economic", "course", True, "training", 1,
     "Formación técnica y vocacional", "Vocational training",
     "Curso técnico o vocacional.", "A technical or vocational course."),
    ("job_placement", "reintegration", "economic", "placement", True, "job_placement", 1,
     "Inserción laboral", "Job placement", "Colocación en un empleo.", "Placement in a job."),
    ("skills_certification", "reintegration", "economic", "course", True, "training", 1,
     "Certificación de competencias", "Skills certification",
     "Certificación de habilidades adquiridas en el exterior.", "Certifying skills gained abroad."),
    ("business_startup", "reintegration", "economic", "amount", True, "cash", 1,
     "Emprendimiento / capital semilla", "Business start-up / seed capital",
     "Capital semilla y acompañamiento para un negocio.", "Seed capital and coaching for a business."),
    ("financial_education", "reintegration", "economic", "session", False, "training", 10,
     "Educación financiera", "Financial education", "Taller de educación financiera.",
     "Financial education workshop."),
    ("school_reintegration", "reintegration", "social", "item", True, "none", 1,
     "Reinserción escolar", "School reintegration", "Inscripción y útiles escolares.",
     "School enrolment and supplies."),
    ("health_referral", "reintegration", "social", "referral", True, "none", 1,
     "Referencia a salud", "Health referral", "Referencia a servicios de salud.",
     "Referral to health services."),
    ("housing_support", "reintegration", "social", "item", True, "none", 1, "Apoyo de vivienda",
     "Housing support", "Apoyo para vivienda.", "Support with housing."),
    ("legal_assistance", "reintegration", "social", "consultation", True, "none", 5,
     "Asistencia legal", "Legal assistance", "Orientación o acompañamiento legal.",
     "Legal advice or accompaniment."),
    ("psychosocial_individual", "reintegration", "psychosocial", "session", True, "psychosocial", 20,
     "Apoyo psicosocial individual", "Individual psychosocial support",
     "Sesiones individuales de apoyo psicosocial.", "Individual psychosocial support sessions."),
    ("psychosocial_group", "reintegration", "psychosocial", "session", False, "psychosocial", 20,
     "Apoyo psicosocial grupal", "Group psychosocial support",
     "Grupos de apoyo psicosocial.", "Psychosocial support groups."),
    ("community_initiative", "reintegration", "social", "item", False, "none", 1,
     "Iniciativa comunitaria", "Community initiative",
     "Participación en un proyecto comunitario.", "Taking part in a community project."),
)  # fmt: skip

FIELDS = (
    "code", "category", "dimension", "unit", "requires_case", "outcome", "max_quantity",
    "name_es", "name_en", "description_es", "description_en",
)  # fmt: skip


def catalogue_load(ServiceType: type[models.Model]) -> int:
    """Create or update the seed catalogue; returns the number of rows written."""
    written = 0
    with translation.override("es"):
        for order, row in enumerate(CATALOGUE, start=1):
            values = dict(zip(FIELDS, row, strict=True))
            code = values.pop("code")
            values["name"] = values["name_es"]
            values["description"] = values["description_es"]
            values["sort_order"] = order
            ServiceType.objects.update_or_create(code=code, defaults=values)
            written += 1
    return written


def catalogue_unload(ServiceType: type[models.Model]) -> None:
    ServiceType.objects.filter(code__in=[row[0] for row in CATALOGUE]).delete()


def _for_migration(func: Callable) -> Callable:
    def run(apps, schema_editor):
        func(apps.get_model("services", "ServiceType"))

    return run


load_for_migration = _for_migration(catalogue_load)
unload_for_migration = _for_migration(catalogue_unload)
