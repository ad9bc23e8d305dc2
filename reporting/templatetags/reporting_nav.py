"""Which reporting pages the navigation offers the signed-in user."""

from django import template

from casework.permissions import user_center_ids

from ..dashboard import dashboard_audience

register = template.Library()


@register.simple_tag(takes_context=True)
def dashboard_in_nav(context) -> bool:
    """The dashboard link, for programme managers (who read centres without working at one).

    Staff who work at a centre are answered from the centre ids their page has already loaded,
    with no query: telling a supervisor from a caseworker would load the permission cache (two
    queries) on every page of every caseworker. Supervisors open the dashboard by its address.
    """
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return False
    if user_center_ids(user, for_write=True):
        return False
    return dashboard_audience(user)
