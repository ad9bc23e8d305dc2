from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Services")

    def ready(self) -> None:
        from registry import merging

        from . import audit, person_page  # noqa: F401  (auditlog, person page parts)
        from .models import ServiceDelivery

        merging.register_moved(ServiceDelivery)  # a merge of two records moves them, and back
