"""Seed the service catalogue in Spanish and English."""

from django.db import migrations

from services.catalogue import load_for_migration, unload_for_migration


class Migration(migrations.Migration):
    dependencies = [("services", "0001_catalogue_providers_deliveries")]

    operations = [migrations.RunPython(load_for_migration, unload_for_migration)]
