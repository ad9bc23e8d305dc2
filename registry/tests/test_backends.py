"""has_perm answers from one statement: the user's own permissions and their groups'."""

import pytest
from django.contrib.auth.models import Group, Permission

from registry.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def test_own_and_group_permissions_are_read_in_one_statement(django_assert_num_queries):
    user = UserFactory()
    user.user_permissions.add(_permission("registry.merge_person"))
    group = Group.objects.create(name="readers of the access log")
    group.permissions.add(_permission("auditlog.view_logentry"))
    user.groups.add(group)
    fresh = type(user).objects.get(pk=user.pk)

    with django_assert_num_queries(1):
        assert fresh.has_perm("registry.merge_person")
        assert fresh.has_perm("auditlog.view_logentry")
        assert not fresh.has_perm("casework.manage_center_cases")
    assert fresh.get_all_permissions() == {"registry.merge_person", "auditlog.view_logentry"}


def test_an_inactive_user_holds_nothing_and_a_superuser_everything():
    inactive = UserFactory(is_active=False)
    inactive.user_permissions.add(_permission("registry.merge_person"))
    assert not type(inactive).objects.get(pk=inactive.pk).has_perm("registry.merge_person")

    superuser = UserFactory(is_superuser=True)
    assert superuser.has_perm("casework.manage_center_cases")
