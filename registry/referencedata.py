"""Shared reference data (countries, geography, document types, reasons) and its idempotent loader.

The loaders take the model classes as arguments so that the data migration can pass the
historical models from `apps.get_model` and `manage.py load_reference_data` the real ones.
Rows are matched on their natural key (ISO code, P-code, code) and updated in place, so a
second run changes nothing and rows that persons point to are never replaced.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from django.db import models
from django.utils import translation

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"

# (iso2, Spanish name, English name, programme country, sort order). Programme countries first,
# then the countries people are returned from most, then other nationalities seen at intake.
COUNTRIES: tuple[tuple[str, str, str, bool, int], ...] = (
    ("GT", "Guatemala", "Guatemala", True, 1),
    ("HN", "Honduras", "Honduras", True, 2),
    ("SV", "El Salvador", "El Salvador", True, 3),
    ("US", "Estados Unidos", "United States", False, 10),
    ("MX", "México", "Mexico", False, 11),
    ("CA", "Canadá", "Canada", False, 12),
    ("BZ", "Belice", "Belize", False, 100),
    ("NI", "Nicaragua", "Nicaragua", False, 100),
    ("CR", "Costa Rica", "Costa Rica", False, 100),
    ("PA", "Panamá", "Panama", False, 100),
    ("CO", "Colombia", "Colombia", False, 100),
    ("VE", "Venezuela", "Venezuela", False, 100),
    ("EC", "Ecuador", "Ecuador", False, 100),
    ("PE", "Perú", "Peru", False, 100),
    ("BR", "Brasil", "Brazil", False, 100),
    ("CL", "Chile", "Chile", False, 100),
    ("CU", "Cuba", "Cuba", False, 100),
    ("HT", "Haití", "Haiti", False, 100),
    ("DO", "República Dominicana", "Dominican Republic", False, 100),
    ("ES", "España", "Spain", False, 100),
    ("IT", "Italia", "Italy", False, 100),
)

# Document numbers are checked after registry.names.document_normalise (no spaces or dashes,
# upper case), so the patterns describe the bare characters.
DOCUMENT_TYPES: tuple[dict[str, Any], ...] = (
    {
        "code": "dpi",
        "name_es": "DPI (Documento Personal de Identificación)",
        "name_en": "DPI (Guatemalan personal identity document)",
        "country": "GT",
        # CUI: 8-digit serial, check digit, 2-digit department, 2-digit municipality.
        "number_pattern": r"^[0-9]{13}$",
        "number_example": "2345 67890 0101",
        "requires_number": True,
        "sort_order": 1,
    },
    {
        "code": "dni",
        "name_es": "DNI (Documento Nacional de Identificación)",
        "name_en": "DNI (Honduran national identity document)",
        "country": "HN",
        # Municipality of registration (4), year of birth (4), serial (5).
        "number_pattern": r"^[0-9]{13}$",
        "number_example": "0801-1990-12345",
        "requires_number": True,
        "sort_order": 2,
    },
    {
        "code": "dui",
        "name_es": "DUI (Documento Único de Identidad)",
        "name_en": "DUI (Salvadoran single identity document)",
        "country": "SV",
        # Eight digits and a check digit, written 01234567-8.
        "number_pattern": r"^[0-9]{9}$",
        "number_example": "01234567-8",
        "requires_number": True,
        "sort_order": 3,
    },
    {
        "code": "passport",
        "name_es": "Pasaporte",
        "name_en": "Passport",
        "country": None,
        "number_pattern": r"^[A-Z0-9]{5,12}$",
        "number_example": "A12345678",
        "requires_number": True,
        "sort_order": 4,
    },
    {
        "code": "other",
        "name_es": "Otro documento",
        "name_en": "Other document",
        "country": None,
        "number_pattern": "",
        "number_example": "",
        "requires_number": True,
        "sort_order": 5,
    },
    {
        "code": "none",
        "name_es": "Sin documento",
        "name_en": "No document",
        "country": None,
        "number_pattern": "",
        "number_example": "",
        "requires_number": False,
        "sort_order": 6,
    },
)

# (code, Spanish, English, sort order), worded as caseworkers in the three countries write them.
MIGRATION_REASONS: tuple[tuple[str, str, str, int], ...] = (
    ("economic", "Falta de empleo / razones económicas", "Lack of work / economic reasons", 1),
    ("violence", "Violencia o inseguridad", "Violence or insecurity", 2),
    ("extortion", "Extorsión", "Extortion", 3),
    ("domestic_violence", "Violencia intrafamiliar", "Domestic violence", 4),
    ("family_reunification", "Reunificación familiar", "Family reunification", 5),
    (
        "natural_disasters",
        "Desastres naturales / efectos del clima",
        "Natural disasters / climate",
        6,
    ),
    ("education", "Estudios", "Education", 7),
    ("health", "Salud / atención médica", "Health / medical care", 8),
    ("other", "Otra razón", "Other reason", 99),
)

ModelClass = type[models.Model]


def _read_csv(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _queryset(model: ModelClass) -> models.QuerySet:
    qs = model._base_manager.all()
    # The real models' modeltranslation queryset would rewrite `name` to `name_es` in
    # bulk_update; the loader writes every column itself.
    return qs.rewrite(False) if hasattr(qs, "rewrite") else qs


def _upsert(model: ModelClass, rows: Iterable[dict[str, Any]], key: tuple[str, ...]) -> int:
    """Create missing rows and update changed ones in a few queries; returns rows written."""
    # A historical model (migration 0002) lacks columns added later: load what it has, and let
    # load_reference_data fill the rest once the schema is current.
    columns = {f.attname for f in model._meta.concrete_fields}
    rows = [{k: v for k, v in row.items() if k in columns} for row in rows]
    qs = _queryset(model)
    existing = {tuple(getattr(obj, k) for k in key): obj for obj in qs}
    fields = sorted({f for row in rows for f in row} - set(key))
    to_create, to_update = [], []
    for row in rows:
        obj = existing.get(tuple(row[k] for k in key))
        if obj is None:
            to_create.append(model(**row))
        # Compare raw column values: modeltranslation's descriptor on `name` would answer
        # with the current language's column.
        elif any(obj.__dict__.get(f) != row[f] for f in fields):
            for f in fields:
                setattr(obj, f, row[f])
            to_update.append(obj)
    if to_create:
        qs.bulk_create(to_create, batch_size=500)
    if to_update:
        qs.bulk_update(to_update, fields, batch_size=500)
    return len(to_create) + len(to_update)


def _translated(name_es: str, name_en: str) -> dict[str, str]:
    # `name` is the column modeltranslation falls back to; it holds the Spanish name.
    return {"name": name_es, "name_es": name_es, "name_en": name_en}


def countries_load(*, Country: ModelClass) -> int:
    return _upsert(
        Country,
        (
            {
                "iso2": iso2,
                **_translated(name_es, name_en),
                "is_programme_country": programme,
                "sort_order": order,
            }
            for iso2, name_es, name_en, programme, order in COUNTRIES
        ),
        key=("iso2",),
    )


def departments_load(*, Country: ModelClass, Department: ModelClass) -> int:
    country_ids = dict(_queryset(Country).values_list("iso2", "pk"))
    return _upsert(
        Department,
        (
            {
                "iso_code": row["iso_3166_2"],
                "country_id": country_ids[row["country_iso2"]],
                "pcode": row["pcode"],
                "national_code": row["national_code"],
                "name": row["name_es"],
            }
            for row in _read_csv("admin1.csv")
        ),
        key=("iso_code",),
    )


def sv_municipalities_2024_load(
    *,
    Department: ModelClass,
    SvMunicipality2024: ModelClass,
) -> int:
    department_ids = dict(_queryset(Department).values_list("iso_code", "pk"))
    return _upsert(
        SvMunicipality2024,
        (
            {
                "department_id": department_ids[row["admin1_iso_3166_2"]],
                "code": row["code"],
                "name": row["name_es"],
                "is_department_seat": row["cabecera_departamental"] == "yes",
            }
            for row in _read_csv("sv_municipios_2024.csv")
        ),
        key=("department_id", "code"),
    )


def municipalities_load(
    *,
    Department: ModelClass,
    Municipality: ModelClass,
    SvMunicipality2024: ModelClass,
) -> int:
    """The 900 municipalities; each Salvadoran district points to its 2024 municipio."""
    department_ids = dict(_queryset(Department).values_list("iso_code", "pk"))
    sv_ids = {
        (dept_id, code): pk
        for dept_id, code, pk in _queryset(SvMunicipality2024).values_list(
            "department_id", "code", "pk"
        )
    }
    district_to_municipio = {
        row["district_pcode"]: sv_ids[
            (department_ids[row["admin1_iso_3166_2"]], row["municipio_code"])
        ]
        for row in _read_csv("sv_district_to_municipio_2024.csv")
    }
    return _upsert(
        Municipality,
        (
            {
                "pcode": row["pcode"],
                "department_id": department_ids[row["admin1_iso_3166_2"]],
                "national_code": row["national_code"],
                "name": row["name_es"],
                "sv_municipality_2024_id": district_to_municipio.get(row["pcode"]),
            }
            for row in _read_csv("admin2.csv")
        ),
        key=("pcode",),
    )


def document_types_load(*, Country: ModelClass, DocumentType: ModelClass) -> int:
    country_ids = dict(_queryset(Country).values_list("iso2", "pk"))
    rows = []
    for spec in DOCUMENT_TYPES:
        row = {k: v for k, v in spec.items() if k not in ("country", "name_es", "name_en")}
        row.update(_translated(spec["name_es"], spec["name_en"]))
        row["country_id"] = country_ids[spec["country"]] if spec["country"] else None
        rows.append(row)
    return _upsert(DocumentType, rows, key=("code",))


def migration_reasons_load(*, MigrationReason: ModelClass) -> int:
    return _upsert(
        MigrationReason,
        (
            {"code": code, **_translated(name_es, name_en), "sort_order": order}
            for code, name_es, name_en, order in MIGRATION_REASONS
        ),
        key=("code",),
    )


REFERENCE_MODELS = (
    "Country",
    "Department",
    "SvMunicipality2024",
    "Municipality",
    "DocumentType",
    "MigrationReason",
)


def reference_data_load(get_model: Callable[[str], ModelClass]) -> dict[str, int]:
    """Load everything; `get_model(name)` returns a casework model (historical or real).

    Returns the number of rows created or changed per model (all zero on a second run).
    """
    m = {name: get_model(name) for name in REFERENCE_MODELS}
    # Under "es", modeltranslation's descriptor reads `name` as `name_es`, which the loader
    # also writes to `name`: the columns agree whatever language the caller has active.
    with translation.override("es"):
        return {
            "Country": countries_load(Country=m["Country"]),
            "Department": departments_load(Country=m["Country"], Department=m["Department"]),
            "SvMunicipality2024": sv_municipalities_2024_load(
                Department=m["Department"], SvMunicipality2024=m["SvMunicipality2024"]
            ),
            "Municipality": municipalities_load(
                Department=m["Department"],
                Municipality=m["Municipality"],
                SvMunicipality2024=m["SvMunicipality2024"],
            ),
            "DocumentType": document_types_load(
                Country=m["Country"], DocumentType=m["DocumentType"]
            ),
            "MigrationReason": migration_reasons_load(MigrationReason=m["MigrationReason"]),
        }


def reference_data_unload(get_model: Callable[[str], ModelClass]) -> None:
    """Delete the rows the loader creates (reverse of the data migration).

    Rows that persons or arrivals point to are protected, so this fails rather than lose data.
    """
    pcodes = [row["pcode"] for row in _read_csv("admin2.csv")]
    iso_codes = [row["iso_3166_2"] for row in _read_csv("admin1.csv")]
    _queryset(get_model("Municipality")).filter(pcode__in=pcodes).delete()
    _queryset(get_model("SvMunicipality2024")).filter(department__iso_code__in=iso_codes).delete()
    _queryset(get_model("Department")).filter(iso_code__in=iso_codes).delete()
    _queryset(get_model("DocumentType")).filter(
        code__in=[spec["code"] for spec in DOCUMENT_TYPES]
    ).delete()
    _queryset(get_model("MigrationReason")).filter(
        code__in=[code for code, *_ in MIGRATION_REASONS]
    ).delete()
    _queryset(get_model("Country")).filter(iso2__in=[c[0] for c in COUNTRIES]).delete()


# --- Casework reference lists (data migration 0007) ------------------------------------------

CLOSURE_REASONS: tuple[tuple[str, str, str, int], ...] = (
    ("reintegrated", "Reintegración lograda", "Reintegrated", 1),
    ("moved_away", "Se trasladó a otro lugar", "Moved away", 2),
    ("re_migrated", "Volvió a migrar", "Migrated again", 3),
    ("declined", "No desea más apoyo", "Declined further support", 4),
    ("lost_contact", "Se perdió el contacto", "Lost contact", 5),
    ("deceased", "Falleció", "Deceased", 6),
    ("transferred", "Trasladado a otro centro", "Transferred to another centre", 7),
)

VULNERABILITIES: tuple[tuple[str, str, str, int], ...] = (
    ("unaccompanied_minor", "Niña, niño o adolescente no acompañado", "Unaccompanied minor", 1),
    ("pregnant", "Embarazada", "Pregnant", 2),
    ("disability", "Persona con discapacidad", "Disability", 3),
    ("chronic_illness", "Enfermedad crónica", "Chronic illness", 4),
    ("violence_survivor", "Sobreviviente de violencia", "Survivor of violence", 5),
    ("lgbtiq", "Persona LGBTIQ+", "LGBTIQ+", 6),
    ("indigenous", "Persona indígena", "Indigenous", 7),
    ("older_person", "Persona adulta mayor", "Older person", 8),
    ("protection_need", "Necesidad de protección internacional o nacional", "Protection need", 9),
    ("single_parent", "Madre o padre solo con hijos", "Single parent", 10),
    ("mental_health", "Afectación de salud mental", "Mental health condition", 11),
)

SERVICE_LINES: tuple[tuple[str, str, str, int], ...] = (
    ("vocational_training", "Formación técnica y vocacional", "Vocational training", 1),
    ("job_placement", "Inserción laboral", "Job placement", 2),
    ("skills_certification", "Certificación de competencias", "Skills certification", 3),
    ("business_startup", "Emprendimiento y capital semilla", "Business start-up", 4),
    ("psychosocial_support", "Apoyo psicosocial", "Psychosocial support", 5),
    ("health_care", "Atención en salud", "Health care", 6),
    ("legal_assistance", "Asistencia legal", "Legal assistance", 7),
    ("education", "Reinserción escolar", "School reintegration", 8),
    ("housing", "Apoyo de vivienda", "Housing support", 9),
    ("protection", "Protección", "Protection", 10),
    ("documentation", "Documentos de identidad", "Identity documents", 11),
)

CASE_REFERENCE_MODELS = ("ClosureReason", "VulnerabilityCategory", "ServiceLine")


def _coded_rows(spec: Iterable[tuple[str, str, str, int]]) -> Iterator[dict[str, Any]]:
    for code, name_es, name_en, order in spec:
        yield {"code": code, **_translated(name_es, name_en), "sort_order": order}


def case_reference_load(get_model: Callable[[str], ModelClass]) -> dict[str, int]:
    """Closure reasons, vulnerability categories and partners' service lines, in es and en."""
    with translation.override("es"):
        return {
            "ClosureReason": _upsert(
                get_model("ClosureReason"), _coded_rows(CLOSURE_REASONS), key=("code",)
            ),
            "VulnerabilityCategory": _upsert(
                get_model("VulnerabilityCategory"), _coded_rows(VULNERABILITIES), key=("code",)
            ),
            "ServiceLine": _upsert(
                get_model("ServiceLine"), _coded_rows(SERVICE_LINES), key=("code",)
            ),
        }


def case_reference_unload(get_model: Callable[[str], ModelClass]) -> None:
    for name, spec in zip(
        CASE_REFERENCE_MODELS, (CLOSURE_REASONS, VULNERABILITIES, SERVICE_LINES), strict=True
    ):
        _queryset(get_model(name)).filter(code__in=[code for code, *_ in spec]).delete()
