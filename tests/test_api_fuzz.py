"""Every /api/v1/ operation, fuzzed from its OpenAPI schema: never a 5xx, never an answer the
schema does not document (status, content type, headers, body).

schemathesis generates requests from the schema drf-spectacular renders (valid ones and invalid
ones, boundary values first) and sends them to the WSGI application in the test transaction, as
a caseworker with a centre and a case with its notes, goals, referral, follow-up and delivery,
and as a donor reviewer. Path parameters name those seeded records about half of the time, so
that the writes reach their actions and not only the 404. Bounded and deterministic (fixed seed,
max_examples): part of `make test`, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from django.contrib.auth.models import Group, Permission
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from casework.actions import case_open, follow_up_schedule, goal_add, note_add, referral_create
from intake.models import DuplicatePair
from intake.tests.factories import ArrivalFactory
from registry.models import Consent, Partner, PersonMerge, ServiceLine
from registry.roles import CASEWORKER, DONOR_REVIEWER
from registry.sign_in import api_token_issue
from registry.tests.factories import PersonFactory, UserFactory, consent_given, country
from registry.tests.openapi import documented_schema
from services.tests.factories import ServiceDeliveryFactory

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


# The records of the current test's seeded world, by path parameter name.
SEEDED: dict[str, object] = {}


def before_generate_path_parameters(context, strategy):
    """Name a seeded record, or whatever the schema allows (drawn when the test runs)."""
    names = [parameter.name for parameter in context.operation.path_parameters]
    seeded = st.builds(lambda: {name: SEEDED[name] for name in names})
    return st.one_of(seeded, strategy)


def fuzzed(schema: dict, config: dict) -> schemathesis.BaseSchema:
    config = {"seed": 11, **config}  # the same requests on every run
    loaded = schemathesis.openapi.from_dict(schema, config=schemathesis.Config.from_dict(config))
    loaded.app = WSGIHandler()
    loaded.hook(before_generate_path_parameters)
    return loaded


SCHEMA = documented_schema()
# The caseworker's requests: boundary values of every field first (coverage), then random ones.
as_caseworker = fuzzed(SCHEMA, {})
# Everything but the aggregates answers a donor 403 or 404 whatever the body: fewer requests.
as_donor = fuzzed(
    SCHEMA,
    {
        "phases": {"coverage": {"enabled": False}},
        "operations": [
            {
                "include-path-regex": "^/api/v1/aggregates/",
                "phases": {"coverage": {"enabled": True}},
            }
        ],
    },
)


@pytest.fixture(autouse=True)
def wsgi_in_test_transaction(db):
    """Requests through the WSGI handler must not close the test's database connection.

    Django's test client does the same (ClientHandler). (Throttle counts start from zero: the
    root conftest empties the rate-limit cache.)
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def token_headers(user) -> dict[str, str]:
    return {"Authorization": f"Token {api_token_issue(user=user).key}"}


@pytest.fixture
def fuzz_caseworker(center_a):
    """A caseworker at centre A with a person, an arrival, a case and all that hangs off it."""
    user = UserFactory(username="fuzz_caseworker", centers=[center_a])
    user.groups.add(Group.objects.get(name=CASEWORKER))
    person = PersonFactory(centers=[center_a])
    arrival = ArrivalFactory(person=person, center=center_a, registered_by=user)
    case = case_open(actor=user, person=person, center=center_a, arrival=arrival).case
    note_add(actor=user, case=case, text="Primera entrevista.")
    goal = goal_add(actor=user, case=case, dimension="economic", description="Empleo formal")
    partner = Partner.objects.create(
        name="INTECAP", kind=Partner.Kind.GOVERNMENT, country=country("GT")
    )
    line = ServiceLine.objects.get(code="vocational_training")
    partner.service_lines.add(line)
    Consent.objects.create(
        person=person, kind=Consent.Kind.SHARE_WITH_PARTNERS, granted=True, recorded_by=user
    )
    referral = referral_create(actor=user, case=case, partner=partner, service_line=line).referral
    consent_given(person, Consent.Kind.FOLLOW_UP_CONTACT, by=user)
    follow_up = follow_up_schedule(
        actor=user, case=case, due_date=timezone.localdate() + timedelta(days=7)
    )
    delivery = ServiceDeliveryFactory(person=person, center=center_a, recorded_by=user)
    # A record merged into the person, and a possible duplicate of them.
    merged = PersonFactory(merged_into=person)
    merge = PersonMerge.objects.create(survivor=person, merged=merged, reason="x", merged_by=user)
    other = PersonFactory(centers=[center_a])
    first, second = sorted((person, other), key=lambda p: p.pk.int)
    pair = DuplicatePair.objects.create(first=first, second=second, score=87)
    SEEDED.update(
        person_id=str(person.pk),
        arrival_id=arrival.pk,
        case_id=case.pk,
        goal_id=goal.pk,
        referral_id=referral.pk,
        follow_up_id=follow_up.pk,
        delivery_id=delivery.pk,
        merge_id=merge.pk,
        pair_id=pair.pk,
        indicator="received",
    )
    return user


@pytest.fixture
def caseworker_headers(fuzz_caseworker):
    return token_headers(fuzz_caseworker)


@pytest.fixture
def donor_headers(fuzz_caseworker):
    """A donor reviewer, in the same world: its records must all answer 404 or 403."""
    user = UserFactory(username="fuzz_donor")
    user.groups.add(Group.objects.get(name=DONOR_REVIEWER))
    user.user_permissions.add(Permission.objects.get(codename="view_aggregates"))
    return token_headers(user)


def fuzz_settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


@as_caseworker.parametrize()
@fuzz_settings(25)
def test_as_caseworker(case, caseworker_headers):
    case.call_and_validate(headers=caseworker_headers, checks=CHECKS)


@as_donor.parametrize()
@fuzz_settings(10)
def test_as_donor(case, donor_headers):
    case.call_and_validate(headers=donor_headers, checks=CHECKS)


def test_every_operation_is_fuzzed():
    """Guard against a filter or an empty schema silently fuzzing nothing."""
    for schema in (as_caseworker, as_donor):
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) == sum(len(methods) for methods in SCHEMA["paths"].values()) >= 37
