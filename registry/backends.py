"""Django's ModelBackend with a user's permissions read in one statement, compiled once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import QuerySet

from .prepared import prepared


@prepared
def _permissions_held(*, user_id: int) -> QuerySet[Any]:
    """(app label, codename) of the permissions a user holds themself or through a group."""
    own = Permission.objects.filter(user=user_id)
    through_groups = Permission.objects.filter(group__user=user_id)
    return (
        own.values_list("content_type__app_label", "codename")
        .order_by()
        .union(through_groups.values_list("content_type__app_label", "codename").order_by())
    )


class OneQueryModelBackend(ModelBackend):
    """ModelBackend, whose has_perm asks two statements (the user's permissions, then their
    groups'), answering from one: most pages ask has_perm once (may this user merge, supervise,
    read the access log), so each pays a statement fewer. Superusers and the per-source reads
    (get_user_permissions, get_group_permissions) are Django's own."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            held = _permissions_held(user_id=user_obj.pk)
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in held}
        cached: set[str] = user_obj._perm_cache
        return cached
