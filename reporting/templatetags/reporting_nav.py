"""Which pages the navigation offers the signed-in user: the reporting pages, and whether the
others exist for them at all (not for a donor reviewer)."""

from django import template

from registry.permissions import is_donor_reviewer, user_center_ids

from ..dashboard import DASHBOARD_IN_NAV, dashboard_audience
from ..exports import can_export

register = template.Library()


def _reader_without_a_centre_to_work(context):
    """The signed-in user, unless they work at a centre (then None, and no query is made).

    Staff who work at a centre are answered from the centre ids their page has already loaded:
    telling a supervisor from a caseworker would load the permission cache (two queries) on
    every page of every caseworker, so it is done once, at sign-in.
    """
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated or user_center_ids(user, for_write=True):
        return None
    return user


@register.simple_tag(takes_context=True)
def dashboard_in_nav(context) -> bool:
    """The dashboard link: programme managers (read centres without working at one), and the
    supervisors among centre staff, as found once at sign-in (no query on their pages)."""
    request = context.get("request")
    user = _reader_without_a_centre_to_work(context)
    if user is not None:
        return dashboard_audience(user)
    session = getattr(request, "session", None)
    return bool(session is not None and session.get(DASHBOARD_IN_NAV))


@register.simple_tag(takes_context=True)
def exports_in_nav(context) -> bool:
    """The donor report link, for aggregate readers: programme managers and donor reviewers."""
    user = _reader_without_a_centre_to_work(context)
    return user is not None and can_export(user)


@register.simple_tag(takes_context=True)
def casework_in_nav(context) -> bool:
    """Links to casework pages (today's arrivals): not for a donor reviewer, who gets 404 there."""
    user = _reader_without_a_centre_to_work(context)
    return user is None or not is_donor_reviewer(user)
