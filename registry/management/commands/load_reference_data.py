"""Re-load the shared reference data (idempotent): after editing casework/reference/*.csv."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from ...referencedata import (
    CASE_REFERENCE_MODELS,
    REFERENCE_MODELS,
    case_reference_load,
    reference_data_load,
)


class Command(BaseCommand):
    help = "Create or update countries, geography, document types and reasons for migrating."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            changed = reference_data_load(lambda name: apps.get_model("registry", name))
            changed |= case_reference_load(lambda name: apps.get_model("registry", name))
        for name in (*REFERENCE_MODELS, *CASE_REFERENCE_MODELS):
            model = apps.get_model("registry", name)
            self.stdout.write(
                f"{model._meta.verbose_name_plural!s:<40} {model._base_manager.count():>5} rows"
                f"  ({changed[name]} created or updated)"
            )
        self.stdout.write(self.style.SUCCESS("Reference data is up to date."))
