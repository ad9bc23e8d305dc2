"""Nobody widens their own access; audit entries cannot be edited or deleted by anyone."""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.urls import reverse
from guardian.shortcuts import assign_perm

from casework.models import ReceptionCenterUserObjectPermission
from casework.permissions import user_center_ids
from casework.tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(center_a):
    user = UserFactory(username="sysadmin", is_staff=True)
    user.groups.add(Group.objects.get(name="administrator"))
    return user


def user_change_post(user, **changes):
    """The admin change form's data for `user`, with `changes` applied."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "groups": [g.pk for g in user.groups.all()],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "receptioncenteruserobjectpermission_set-TOTAL_FORMS": "0",
        "receptioncenteruserobjectpermission_set-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_administrator_cannot_change_own_groups_or_make_self_superuser(client, administrator):
    client.force_login(administrator)
    supervisor = Group.objects.get(name="supervisor")
    client.post(
        reverse("admin:auth_user_change", args=[administrator.pk]),
        user_change_post(administrator, groups=[supervisor.pk], is_superuser="on"),
    )
    administrator.refresh_from_db()
    assert list(administrator.groups.values_list("name", flat=True)) == ["administrator"]
    assert not administrator.is_superuser


def test_administrator_cannot_assign_a_centre_to_self(client, administrator, center_a):
    from django.contrib.auth.models import Permission

    client.force_login(administrator)
    work = Permission.objects.get(codename="work_at_center")
    data = user_change_post(
        administrator,
        **{
            "receptioncenteruserobjectpermission_set-TOTAL_FORMS": "1",
            "receptioncenteruserobjectpermission_set-0-content_object": center_a.pk,
            "receptioncenteruserobjectpermission_set-0-permission": work.pk,
        },
    )
    client.post(reverse("admin:auth_user_change", args=[administrator.pk]), data)
    assert not ReceptionCenterUserObjectPermission.objects.filter(user=administrator).exists()
    assert user_center_ids(type(administrator).objects.get(pk=administrator.pk)) == frozenset()


def test_administrator_assigns_a_centre_and_role_to_a_caseworker(client, administrator, center_a):
    from django.contrib.auth.models import Permission

    newcomer = UserFactory(username="nuevo")
    client.force_login(administrator)
    work = Permission.objects.get(codename="work_at_center")
    data = user_change_post(
        newcomer,
        groups=[Group.objects.get(name="caseworker").pk],
        **{
            "receptioncenteruserobjectpermission_set-TOTAL_FORMS": "1",
            "receptioncenteruserobjectpermission_set-0-content_object": center_a.pk,
            "receptioncenteruserobjectpermission_set-0-permission": work.pk,
        },
    )
    response = client.post(reverse("admin:auth_user_change", args=[newcomer.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    newcomer = type(newcomer).objects.get(pk=newcomer.pk)
    assert user_center_ids(newcomer, for_write=True) == frozenset({center_a.pk})
    assert newcomer.groups.filter(name="caseworker").exists()


def test_user_page_shows_what_the_user_can_reach(client, administrator, caseworker, center_a):
    PersonFactory.create_batch(3, centers=[center_a])
    client.force_login(administrator)
    page = client.get(
        reverse("admin:auth_user_change", args=[caseworker.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert "What this user can reach" in body or "Qué puede alcanzar" in body
    assert center_a.name in body
    assert "<dd>3</dd>" in body


def test_caseworker_cannot_reach_the_admin(client, caseworker):
    client.force_login(caseworker)
    response = client.get(reverse("admin:auth_user_change", args=[caseworker.pk]))
    assert response.status_code == 302  # to the admin login: not staff


@pytest.mark.parametrize("who", ["administrator", "superuser"])
def test_audit_entries_cannot_be_changed_or_deleted_in_the_admin(
    client, administrator, who, center_a
):
    person = PersonFactory(centers=[center_a])
    entry = LogEntry.objects.get_for_object(person).first()
    user = administrator
    if who == "superuser":
        user = UserFactory(username="root", is_staff=True, is_superuser=True)
    assign_perm("auditlog.change_logentry", user)
    assign_perm("auditlog.delete_logentry", user)
    client.force_login(user)
    before = LogEntry.objects.count()
    client.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk]), {"post": "yes"})
    client.post(reverse("admin:auditlog_logentry_change", args=[entry.pk]), {"changes": "{}"})
    assert LogEntry.objects.count() == before
    entry.refresh_from_db()
    assert entry.object_pk == str(person.pk)


@pytest.mark.parametrize("who", ["administrator", "superuser"])
def test_users_are_deactivated_never_deleted_in_the_admin(client, administrator, caseworker, who):
    """Audit entries name their actor by the user row: deleting it would erase who acted."""
    user = administrator
    if who == "superuser":
        user = UserFactory(username="root", is_staff=True, is_superuser=True)
    assign_perm("auth.delete_user", user)
    client.force_login(user)

    page = client.get(reverse("admin:auth_user_delete", args=[caseworker.pk]))
    client.post(reverse("admin:auth_user_delete", args=[caseworker.pk]), {"post": "yes"})
    client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "delete_selected", "_selected_action": [caseworker.pk], "post": "yes"},
    )
    listing = client.get(reverse("admin:auth_user_changelist"))

    assert page.status_code == 403
    assert type(caseworker).objects.filter(pk=caseworker.pk).exists()
    assert "delete_selected" not in listing.content.decode()
