"""The donor reviewer's only door is the aggregates: every other route, walked from the URL
resolver (HTML, API and admin), answers them 404, as if it did not exist.

A donor reviewer is signed in, holds reporting.view_aggregates and no centre. For each route the
test fills the URL with the ids of real records at a centre (a person, arrival, case, note,
referral, follow-up, goal, delivery) and checks:

- GET: 404 on every route but the donor's doors (tests/access_matrix/routes.py DONOR_DOORS: the
  aggregate API and exports, the home page, signing in and out, the public API schema), lists
  and reference data included, whether the API is reached with the session or with a token.
  No answer may contain anything of the person or the case.
- POST: 404 outside the doors, and nothing is written, whatever the answer.

Routes added later are walked too: a new route that answers the donor fails this test.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casework.models import Case, CaseGoal, CaseNote, FollowUp, Referral
from intake.models import Arrival
from intake.tests.factories import ArrivalFactory
from registry.models import Consent, Partner, Person, ServiceLine
from registry.roles import DONOR_REVIEWER
from registry.sign_in import api_token_issue
from registry.tests.factories import PersonFactory, ReceptionCenterFactory, UserFactory, country
from services.models import ServiceDelivery, ServiceType
from tests.access_matrix.routes import DONOR_DOORS

AGGREGATE_ROUTES = {"api-aggregate-list", "api-aggregate-detail"}
# Signing in and out and choosing a language: not records, and they change the session.
# (Ids are not secrets here: the donor typed them into the URL, and a 404 page may echo it.)
SESSION_ROUTES = {"login", "logout", "set_language", "admin:logout"}
RECORD_KWARGS = {
    "person_id",
    "arrival_id",
    "delivery_id",
    "case_id",
    "pk",
    "referral_id",
    "follow_up_id",
    "goal_id",
    "object_id",
}


def _routes(patterns=None, prefix: str = "", namespace: str | None = None):
    """(full name, pattern) of every named route, namespaces included."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, prefix + str(entry.pattern), entry


@pytest.fixture
def world(db):
    from reporting.tests.conftest import release

    release("FY2026-Q2", only=("received",))  # a donor gets released periods only
    center = ReceptionCenterFactory(code="CA", name_es="Centro A", name_en="Centre A")
    staff = UserFactory(username="caseworker_a", centers=[center])
    person = PersonFactory(
        given_names="Secretina",
        first_surname="Confidencial",
        document_number="SECRETDOC9911",
        phone="+502 5555 0199",
        centers=[center],
    )
    Consent.objects.create(
        person=person, kind=Consent.Kind.SHARE_WITH_PARTNERS, granted=True, recorded_by=staff
    )
    arrival = ArrivalFactory(
        person=person,
        center=center,
        registered_by=staff,
        transport_reference="VUELO-SECRETO",
        needs="needs-secret-text",
    )
    case = Case.objects.create(
        number="CA-2026-99001",
        person=person,
        center=center,
        opened_from_arrival=arrival,
        opened_by=staff,
        assigned_to=staff,
        psychosocial_needs="psychosocial-secret-text",
    )
    note = CaseNote.objects.create(case=case, text="note-secret-text", author=staff)
    line = ServiceLine.objects.filter(active=True).first()
    partner = Partner.objects.create(name="Socio", kind=Partner.Kind.NGO, country=country("GT"))
    partner.service_lines.add(line)
    referral = Referral.objects.create(
        case=case, partner=partner, service_line=line, reason="referral-secret", referred_by=staff
    )
    follow_up = FollowUp.objects.create(
        case=case,
        due_date=date.today() + timedelta(days=5),
        purpose="followup-secret",
        created_by=staff,
    )
    goal = CaseGoal.objects.create(
        case=case, dimension="economic", description="goal-secret-text", created_by=staff
    )
    delivery = ServiceDelivery.objects.create(
        person=person,
        center=center,
        case=case,
        service_type=ServiceType.objects.get(code="food"),
        delivered_on=timezone.localdate(),
        recorded_by=staff,
    )
    donor = UserFactory(username="donor_reviewer")
    donor.groups.add(Group.objects.get(name=DONOR_REVIEWER))
    donor.user_permissions.add(Permission.objects.get(codename="view_aggregates"))
    return {
        "donor": donor,
        "kwargs": {
            "person_id": person.pk,
            "arrival_id": arrival.pk,
            "delivery_id": delivery.pk,
            "case_id": case.pk,
            "referral_id": referral.pk,
            "follow_up_id": follow_up.pk,
            "goal_id": goal.pk,
            "client_uuid": arrival.client_uuid,
            "indicator": "received",
            "app_label": "casework",
            "content_type_id": 1,
            "object_id": str(person.pk),
        },
        "pk": {"cases:": case.pk, "intake:": arrival.pk, "services:": delivery.pk},
        "secrets": [
            person.given_names,
            person.document_number,
            person.phone,
            arrival.transport_reference,
            arrival.needs,
            case.number,
            case.psychosocial_needs,
            note.text,
            referral.reason,
            follow_up.purpose,
            goal.description,
        ],
    }


def _url(world, name: str, pattern) -> str | None:
    converters = getattr(pattern.pattern, "converters", {})
    kwargs = {}
    for key, converter in converters.items():
        if key == "pk":
            kwargs[key] = next(
                (v for prefix, v in world["pk"].items() if name.startswith(prefix)), 1
            )
        elif key in world["kwargs"]:
            kwargs[key] = world["kwargs"][key]
        else:
            kwargs[key] = {"IntConverter": 1, "UUIDConverter": uuid.uuid4()}.get(
                type(converter).__name__, "x"
            )
    if not converters:
        # a regular expression route (the admin's): its named groups, filled by name
        for key in pattern.pattern.regex.groupindex:
            kwargs[key] = world["kwargs"].get(key, "x")
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def _client(world, api: bool, token: bool = False):
    client = APIClient()
    if token:
        key = api_token_issue(user=world["donor"]).key
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    else:
        client.force_login(world["donor"])
    return client


def _snapshot() -> dict[str, int]:
    models = (Person, Consent, Arrival, Case, CaseNote, Referral, FollowUp, CaseGoal)
    counts = {m.__name__: m.objects.count() for m in (*models, ServiceDelivery)}
    counts["voided"] = ServiceDelivery.objects.filter(voided_at__isnull=False).count()
    counts["closed"] = Case.objects.filter(status="closed").count()
    counts["versions"] = sum(Case.objects.values_list("version", flat=True))
    return counts


def _walk(world):
    for name, route, pattern in _routes():
        url = _url(world, name, pattern)
        if url is None:
            assert name.startswith("admin:"), f"cannot build a URL for {name} ({route})"
            continue
        yield name, route, pattern, url


def test_the_walk_covers_every_kind_of_route(world):
    names = {name for name, *_ in _walk(world)}
    for expected in ("person_detail", "api-person-detail", "api-aggregate-detail", "home"):
        assert expected in names
    assert any(name.startswith("admin:") for name in names)
    assert len(names) > 40


def _gets(world, *, token: bool = False):
    """(name, url, response) of a GET of every route but the session's, as the donor."""
    for name, route, _pattern, url in _walk(world):
        if name in SESSION_ROUTES or (token and not route.startswith("api/")):
            continue
        client = _client(world, api=route.startswith("api/"), token=token)
        query = {"period": "FY2026-Q2"} if name == "api-aggregate-detail" else {}
        yield name, url, client.get(url, query, HTTP_ACCEPT_LANGUAGE="en")


def _problems(world, answers) -> list[str]:
    problems = []
    for name, url, response in answers:
        status = response.status_code
        body = response.content.decode(errors="replace")
        for secret in world["secrets"]:
            if secret in body:
                problems.append(f"{url}: shows {secret!r}")
        if name in AGGREGATE_ROUTES and status != 200:
            problems.append(f"{url}: the aggregate API answered {status}")
        elif name not in DONOR_DOORS and status != 404:
            problems.append(f"{url}: {status}, expected 404")
    return problems


def test_the_donor_reaches_only_the_aggregates(world):
    problems = _problems(world, _gets(world))
    assert not problems, "\n".join(problems)


def test_the_donor_reaches_only_the_aggregates_with_a_token_too(world):
    """Token sign-in happens inside the API view, after the site's middleware has run."""
    problems = _problems(world, _gets(world, token=True))
    assert not problems, "\n".join(problems)


def test_the_donor_writes_nothing(world):
    before = _snapshot()
    problems = []
    for name, route, _pattern, url in _walk(world):
        if name in SESSION_ROUTES or name in AGGREGATE_ROUTES or name.startswith("admin:"):
            continue
        client = _client(world, api=route.startswith("api/"))
        if route.startswith("api/"):
            response = client.post(url, {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
        else:
            response = client.post(url, {}, HTTP_ACCEPT_LANGUAGE="en")
        if name not in DONOR_DOORS and response.status_code != 404:
            problems.append(f"POST {url}: {response.status_code}, expected 404")
        if _snapshot() != before:
            problems.append(f"POST {url} changed data")
            before = _snapshot()
    assert not problems, "\n".join(problems)


def test_other_roles_without_a_centre_keep_their_answers(world):
    """The administrator holds no centre either: their empty lists stay lists."""
    admin = UserFactory(username="admin_no_centre", is_staff=True)
    admin.groups.add(Group.objects.get(name="administrator"))
    client = APIClient()
    client.force_login(admin)
    response = client.get(reverse("api-case-list"))
    assert response.status_code == 200 and response.json()["results"] == []


def test_the_aggregate_routes_are_the_only_ones_answering_with_counts(world):
    client = _client(world, api=True)
    assert client.get(reverse("api-aggregate-list")).status_code == 200
    other = UserFactory(username="no_permission")
    client.force_login(other)
    assert client.get(reverse("api-aggregate-list")).status_code == 403


def test_the_donors_pages_link_only_to_what_they_reach(world):
    """No link in the navigation or on their home page leads the donor to a 404."""
    import re

    client = _client(world, api=False)
    home = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    links = set(re.findall(r'<a [^>]*href="(/[^"#?]*)', home))
    assert reverse("reporting_exports:export_start") in links
    dead = [url for url in sorted(links) if client.get(url).status_code == 404]
    assert not dead, dead
