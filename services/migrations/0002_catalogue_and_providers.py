"""Seed the service catalogue and the partner providers every programme works with, in Spanish
and English (the reverse removes them)."""

from django.db import migrations

from services.catalogue import load_for_migration, unload_for_migration

# name, kind, country (ISO 3166-1 alpha-2, or None for several countries)
PROVIDERS = (
    ("Centro de recepción", "centre", None),
    ("OIM (Organización Internacional para las Migraciones)", "international", None),
    ("INTECAP", "government", "GT"),
    ("Secretaría de Trabajo y Seguridad Social", "government", "HN"),
    ("Ministerio de Trabajo y Previsión Social", "government", "SV"),
    ("Cáritas", "ngo", None),
    ("Glasswing International", "ngo", None),
)


def load(apps, schema_editor):
    Provider = apps.get_model("services", "Provider")
    Country = apps.get_model("registry", "Country")
    countries = {c.iso2: c for c in Country.objects.filter(iso2__in=["GT", "HN", "SV"])}
    for name, kind, iso2 in PROVIDERS:
        Provider.objects.get_or_create(
            name=name, defaults={"kind": kind, "country": countries.get(iso2), "active": True}
        )


def unload(apps, schema_editor):
    Provider = apps.get_model("services", "Provider")
    Provider.objects.filter(name__in=[name for name, _, _ in PROVIDERS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0001_initial"),
        ("registry", "0002_reference_data"),
    ]

    operations = [
        migrations.RunPython(load_for_migration, unload_for_migration),
        migrations.RunPython(load, unload),
    ]
