from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("Casework")

    def ready(self) -> None:
        from . import (  # noqa: F401  (auditlog, timeline, home page, merges, search)
            audit,
            home_parts,
            merge_parts,
            search_parts,
            selectors_timeline,
        )
        from .permissions import scope_signals_connect

        scope_signals_connect()
