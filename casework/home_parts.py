"""casework's part of the home page: the caseload of centre staff, the centres' counts for
programme managers."""

from __future__ import annotations

from django.http import HttpRequest

from registry.home_page import register_home_part
from registry.permissions import user_centers
from registry.person_page import PersonPart

from .selectors_caseload import caseload_get, centers_overview

TEMPLATE = "casework/home_caseload.html"


@register_home_part
def caseload_home_part(request: HttpRequest) -> PersonPart | None:
    """Comes first and carries the page's heading (`heading`)."""
    user = request.user
    centers = user_centers(user, for_write=True)
    if centers:
        caseload = caseload_get(user=user, centers=centers)
        context = {"heading": True, "centers": centers, "caseload": caseload}
        return PersonPart(order=0, template=TEMPLATE, context=context)
    readable = user_centers(user)
    if readable:
        overview = centers_overview(user=user, centers=readable)
        return PersonPart(
            order=0, template=TEMPLATE, context={"heading": True, "overview": overview}
        )
    return None
