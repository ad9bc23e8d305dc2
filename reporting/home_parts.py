"""reporting's part of the home page: what an aggregate reader (a donor reviewer) may see."""

from __future__ import annotations

from django.http import HttpRequest

from registry.home_page import register_home_part
from registry.permissions import user_center_ids
from registry.person_page import PersonPart

from .exports import can_export


@register_home_part
def donor_home_part(request: HttpRequest) -> PersonPart | None:
    """For aggregate readers who work at no centre; centre staff are answered from the centre
    ids already loaded for their home page, so their page makes no query for this part."""
    user = request.user
    if user_center_ids(user, for_write=True) or not can_export(user):
        return None
    return PersonPart(order=10, template="reporting/home_donor.html")
