from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = _("Intake")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from registry import merging

        from . import audit, person_page, search_parts  # noqa: F401  (auditlog, page parts, search)
        from .models import Arrival

        merging.register_moved(Arrival)  # a merge of two records moves them, and back
        user_logged_in.connect(_duplicates_in_nav, dispatch_uid="intake.duplicates_in_nav")


DUPLICATES_IN_NAV = "duplicates_in_nav"


def _duplicates_in_nav(sender, request, user, **kwargs) -> None:
    """Whether the navigation offers the duplicate review queue, found once for the session."""
    from django.contrib.auth import SESSION_KEY

    # Only a browser session: an API sign-in (registry.sign_in) has none to remember it in.
    session = getattr(request, "session", None)
    if session is not None and SESSION_KEY in session:
        session[DUPLICATES_IN_NAV] = user.has_perm("registry.merge_person")
