from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = _("Intake")

    def ready(self) -> None:
        from registry import merging

        from . import audit, person_page, search_parts  # noqa: F401  (auditlog, page parts, search)
        from .models import Arrival

        merging.register_moved(Arrival)  # a merge of two records moves them, and back
