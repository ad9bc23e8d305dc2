from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Registry")

    def ready(self) -> None:

        from . import merging, planner, sign_in
        from .models import (
            Consent,
            Correction,
            Country,
            Department,
            DocumentType,
            MigrationReason,
            Municipality,
            ReceptionCenter,
        )
        from .reference_cache import reference_register

        for model in (Country, Department, DocumentType, MigrationReason, Municipality):
            reference_register(model)
        reference_register(ReceptionCenter, related=("country",))

        sign_in.connect()
        planner.connect(self)
        # A person's own rows in the registry move with a merge (centre links apart: the
        # merge action moves those itself, as a centre may hold both records).
        merging.register_moved(Consent)
        merging.register_moved(Correction)
