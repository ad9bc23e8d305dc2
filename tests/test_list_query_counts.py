"""List pages and list endpoints make as many queries for a user of five centres with many rows as
for a user of one centre with few.

Absolute counts are pinned next to each list (casework/tests/test_api_persons.py,
intake/tests/test_api_arrivals.py, the case list and caseload tests); these tests pin that the
count grows neither with the rows nor with the number of centres the user works at.
"""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm
from rest_framework.test import APIClient

from casework.actions import case_open, follow_up_schedule, note_add
from intake.tests.factories import ArrivalFactory
from registry.models import Consent
from registry.tests.factories import ReceptionCenterFactory, UserFactory, consent_given

pytestmark = pytest.mark.django_db

LISTS = [
    ("html", lambda: reverse("home")),
    ("html", lambda: reverse("intake:arrival_list")),
    ("html", lambda: reverse("cases:case_list")),
    ("api", lambda: reverse("api-person-list")),
    ("api", lambda: reverse("api-arrival-list")),
    ("api", lambda: reverse("api-case-list")),
]


def caseworker_with(centres: int, rows_per_centre: int, tag: str):
    """A caseworker working at `centres` centres, each with arrivals and open cases."""
    from django.utils import timezone

    user = UserFactory(username=f"cw_{tag}")
    user.groups.add(Group.objects.get(name="caseworker"))
    colleague = UserFactory(username=f"colleague_{tag}")
    centre_list = [ReceptionCenterFactory(code=f"{tag.upper()}{index}") for index in range(centres)]
    for centre in centre_list:
        assign_perm("registry.work_at_center", user, centre)
        assign_perm("registry.work_at_center", colleague, centre)
    # Fresh objects: the centre ids are cached on a user the first time they are read.
    user = type(user).objects.get(pk=user.pk)
    colleague = type(colleague).objects.get(pk=colleague.pk)
    for centre in centre_list:
        for row in range(rows_per_centre):
            arrival = ArrivalFactory(center=centre, registered_by=colleague)
            # Alternate assignees so that the caseload shows both kinds of row.
            assignee = user if row % 2 else colleague
            case = case_open(
                actor=colleague,
                person=arrival.person,
                center=centre,
                arrival=arrival,
                assigned_to=assignee,
            ).case
            note_add(actor=colleague, case=case, text="Nota")
            consent_given(case.person, Consent.Kind.FOLLOW_UP_CONTACT, by=colleague)
            follow_up_schedule(actor=colleague, case=case, due_date=timezone.localdate())
    return type(user).objects.get(pk=user.pk)


def queries(kind: str, url: str, user) -> int:
    client = APIClient()
    if kind == "api":
        client.force_authenticate(user)
    else:
        client.force_login(user)
    client.get(url)  # warm up: the content types cache and the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured)


@pytest.mark.parametrize(
    ("kind", "url"),
    LISTS,
    ids=["home", "arrival_list", "case_list", "api-persons", "api-arrivals", "api-cases"],
)
def test_queries_do_not_grow_with_centres_or_rows(kind, url):
    small = caseworker_with(centres=1, rows_per_centre=2, tag="one")
    large = caseworker_with(centres=5, rows_per_centre=6, tag="five")

    assert queries(kind, url(), large) == queries(kind, url(), small)


def test_programme_manager_overview_does_not_grow_with_centres():
    def manager_of(centres: int, tag: str):
        programme = Group.objects.create(name=f"programme_{tag}")
        staff = caseworker_with(centres=centres, rows_per_centre=3, tag=tag)
        for perm in staff.receptioncenteruserobjectpermission_set.all():
            assign_perm("registry.view_center_records", programme, perm.content_object)
        manager = UserFactory(username=f"manager_{tag}")
        manager.groups.add(programme, Group.objects.get(name="programme_manager"))
        return manager

    assert queries("html", reverse("home"), manager_of(5, "pmfive")) == queries(
        "html", reverse("home"), manager_of(1, "pmone")
    )
