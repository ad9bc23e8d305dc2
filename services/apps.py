from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Services")

    def ready(self) -> None:
        from registry import merging
        from registry.reference_cache import reference_register

        from . import audit, person_page  # noqa: F401  (auditlog, person page parts)
        from .models import ServiceDelivery, ServiceType

        merging.register_moved(ServiceDelivery)  # a merge of two records moves them, and back
        reference_register(ServiceType)  # the catalogue, held per process
