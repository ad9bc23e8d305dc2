from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("Casework")

    def ready(self) -> None:
        from . import audit, selectors_timeline, sign_in  # noqa: F401  (auditlog, timeline source)

        sign_in.connect()
