"""Template helpers of the registry search."""

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def fact_value(values: dict, key: Any) -> Any:
    """The value a search fact has for this person, or None."""
    return values.get(key)


@register.simple_tag(takes_context=True)
def search_in_nav(context) -> bool:
    """The header's search box: for whoever may read the records of a centre (no query: the
    centre ids are cached on the user by the page's own scoping)."""
    from registry.permissions import user_center_ids

    user = getattr(context.get("request"), "user", None)
    return bool(user is not None and user.is_authenticated and user_center_ids(user))
