"""Nobody widens their own access, nor takes over a user with more rights than their own;
audit entries cannot be edited or deleted by anyone."""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from guardian.shortcuts import assign_perm

from registry.models import ReceptionCenterUserObjectPermission
from registry.permissions import user_center_ids
from registry.tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # UserFactory's


@pytest.fixture
def administrator(center_a):
    user = UserFactory(username="sysadmin", is_staff=True)
    user.groups.add(Group.objects.get(name="administrator"))
    return user


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


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


# --- nobody changes a user with more rights than their own ------------------------------------

NEW_PASSWORD = "a-brand-new-passphrase-77"


def password_post(client, user):
    return client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )


def can_sign_in(client, user, password) -> bool:
    client.logout()
    client.post(reverse("login"), {"username": user.username, "password": password})
    return client.session.get(SESSION_KEY) == str(user.pk)


def test_administrator_cannot_set_a_superusers_password(client, administrator, superuser):
    client.force_login(administrator)

    response = password_post(client, superuser)

    assert response.status_code in (403, 404)
    superuser.refresh_from_db()
    assert superuser.check_password(PASSWORD)
    assert not can_sign_in(client, superuser, NEW_PASSWORD)


def test_administrator_cannot_deactivate_or_regroup_a_superuser(client, administrator, superuser):
    client.force_login(administrator)
    before = superuser.password

    response = client.post(
        reverse("admin:auth_user_change", args=[superuser.pk]),
        user_change_post(
            superuser,
            is_active="",
            is_staff="",
            groups=[Group.objects.get(name="administrator").pk],
        ),
    )

    assert response.status_code in (403, 404)
    superuser.refresh_from_db()
    assert superuser.is_active and superuser.is_staff and superuser.is_superuser
    assert not superuser.groups.exists()
    assert superuser.password == before


def test_superuser_page_is_read_only_for_an_administrator(client, administrator, superuser):
    client.force_login(administrator)

    response = client.get(reverse("admin:auth_user_change", args=[superuser.pk]))

    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert client.get(
        reverse("admin:auth_user_password_change", args=[superuser.pk])
    ).status_code in (403, 404)


def test_a_superuser_may_change_another_superuser(client, superuser):
    other = UserFactory(username="root2", is_staff=True, is_superuser=True)
    client.force_login(superuser)

    assert password_post(client, other).status_code == 302
    response = client.post(
        reverse("admin:auth_user_change", args=[other.pk]),
        user_change_post(other, is_active="", is_superuser="on"),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    other.refresh_from_db()
    assert not other.is_active
    assert other.check_password(NEW_PASSWORD)


def test_administrator_sets_a_caseworkers_password(client, administrator, caseworker):
    client.force_login(administrator)

    assert password_post(client, caseworker).status_code == 302
    assert can_sign_in(client, caseworker, NEW_PASSWORD)


@pytest.mark.parametrize("held_through", ["group", "user_permissions"])
def test_administrator_cannot_take_over_a_user_holding_a_permission_they_lack(
    client, administrator, caseworker, held_through
):
    """A right the administrator neither holds nor hands out (a working role) makes a user theirs
    no more: here, the power to change roles' permissions."""
    change_group = Permission.objects.get(codename="change_group")
    if held_through == "group":
        group = Group.objects.create(name="role editors")
        group.permissions.add(change_group)
        caseworker.groups.add(group)
    else:
        caseworker.user_permissions.add(change_group)
    client.force_login(administrator)

    assert password_post(client, caseworker).status_code in (403, 404)
    response = client.post(
        reverse("admin:auth_user_change", args=[caseworker.pk]),
        user_change_post(caseworker, is_active=""),
    )

    assert response.status_code in (403, 404)
    caseworker.refresh_from_db()
    assert caseworker.is_active
    assert not can_sign_in(client, caseworker, NEW_PASSWORD)


def test_administrator_cannot_grant_a_group_carrying_a_permission_they_lack(
    client, administrator, caseworker
):
    group = Group.objects.create(name="role editors")
    group.permissions.add(Permission.objects.get(codename="change_group"))
    client.force_login(administrator)

    response = client.post(
        reverse("admin:auth_user_change", args=[caseworker.pk]),
        user_change_post(caseworker, groups=[group.pk]),
    )

    assert response.status_code == 200  # the form again, with its error
    assert response.context["adminform"].form.errors["groups"]
    assert not caseworker.groups.filter(pk=group.pk).exists()


@pytest.mark.parametrize("role", ["caseworker", "supervisor", "programme_manager", "administrator"])
def test_administrator_grants_the_working_roles_and_their_own(
    client, administrator, caseworker, role
):
    client.force_login(administrator)

    response = client.post(
        reverse("admin:auth_user_change", args=[caseworker.pk]),
        user_change_post(caseworker, groups=[Group.objects.get(name=role).pk]),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(caseworker.groups.values_list("name", flat=True)) == [role]


def test_administrator_cannot_assign_a_centre_on_a_superusers_page(
    client, administrator, superuser, center_a
):
    client.force_login(administrator)
    work = Permission.objects.get(codename="work_at_center")

    client.post(
        reverse("admin:auth_user_change", args=[superuser.pk]),
        user_change_post(
            superuser,
            **{
                "receptioncenteruserobjectpermission_set-TOTAL_FORMS": "1",
                "receptioncenteruserobjectpermission_set-0-content_object": center_a.pk,
                "receptioncenteruserobjectpermission_set-0-permission": work.pk,
            },
        ),
    )

    assert not ReceptionCenterUserObjectPermission.objects.filter(user=superuser).exists()


def test_a_changelist_action_skips_users_with_more_rights(
    client, administrator, superuser, caseworker
):
    assign_perm("auth.delete_user", administrator)
    client.force_login(administrator)

    client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "delete_selected", "_selected_action": [superuser.pk], "post": "yes"},
    )

    assert type(superuser).objects.filter(pk=superuser.pk).exists()
