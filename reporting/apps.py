from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        from . import home_parts, signals  # noqa: F401  (home_parts registers itself)

        signals.connect()
