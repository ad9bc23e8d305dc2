"""Roles are groups with model permissions; centres come from guardian object permissions."""

import pytest
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm

from intake.permissions import arrivals_for
from intake.tests.factories import ArrivalFactory
from registry.permissions import (
    can_work_at,
    centers_for,
    persons_for,
    readable_centers_for,
    user_center_ids,
)
from registry.roles import ROLE_PERMISSIONS
from registry.tests.factories import PersonFactory, ReceptionCenterFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_migration_creates_the_five_roles_with_their_permissions():
    for role, names in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        assert {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()} == set(
            names
        )
    donor = Group.objects.get(name="donor_reviewer").permissions.all()
    assert [f"{p.content_type.app_label}.{p.codename}" for p in donor] == [
        "reporting.view_aggregates"
    ]
    assert (
        not Group.objects.get(name="programme_manager")
        .permissions.exclude(codename__startswith="view_")
        .exists()
    )


def test_programme_manager_reads_programme_centres_but_works_in_none(center_a, center_b):
    programme = Group.objects.create(name="Programa Norte")
    assign_perm("registry.view_center_records", programme, center_a)
    manager = UserFactory(username="manager")
    manager.groups.add(programme, Group.objects.get(name="programme_manager"))
    in_a = ArrivalFactory(center=center_a)
    ArrivalFactory(center=center_b)

    assert set(readable_centers_for(manager)) == {center_a}
    assert not centers_for(manager).exists()
    assert not can_work_at(manager, center_a)
    assert list(persons_for(manager)) == [in_a.person]
    assert list(arrivals_for(manager)) == [in_a]


def test_donor_reviewer_and_user_without_centres_reach_no_record(center_a):
    ArrivalFactory(center=center_a)
    donor = UserFactory(username="donor")
    donor.groups.add(Group.objects.get(name="donor_reviewer"))
    assert user_center_ids(donor) == frozenset()
    assert not persons_for(donor).exists()
    assert not arrivals_for(donor).exists()


def test_inactive_centre_and_inactive_user_reach_nothing(caseworker, center_a):
    PersonFactory(centers=[center_a])
    center_a.active = False
    center_a.save()
    fresh = type(caseworker).objects.get(pk=caseworker.pk)
    assert user_center_ids(fresh) == frozenset()
    assert not persons_for(fresh).exists()
    center_a.active = True
    center_a.save()
    fresh = type(caseworker).objects.get(pk=caseworker.pk)
    fresh.is_active = False
    assert not persons_for(fresh).exists()


def test_centre_ids_resolve_in_one_query(caseworker, django_assert_num_queries):
    for _ in range(3):
        assign_perm("registry.work_at_center", caseworker, ReceptionCenterFactory())
    fresh = type(caseworker).objects.get(pk=caseworker.pk)
    with django_assert_num_queries(1):
        assert len(user_center_ids(fresh)) == 4
        user_center_ids(fresh, for_write=True)
