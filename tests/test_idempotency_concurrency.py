"""Concurrent POSTs of one client UUID: one 201, the replays 200 with its body, another body 409.

PostgreSQL only: what is under test is the advisory lock that serialises submissions of the same
client UUID; SQLite lets one writer in at a time by itself.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from casework.actions import case_open
from casework.models import Case, CaseNote, Referral
from registry.actions import consents_record
from registry.models import Partner, ServiceLine
from registry.tests.factories import PersonFactory, ReceptionCenterFactory, UserFactory, country

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs concurrent writers on PostgreSQL: run with DATABASE_URL=postgres://…",
)

THREADS = 20


@dataclass(frozen=True)
class Endpoint:
    url: str
    body: Callable[[str, str], dict[str, Any]]  # (client_uuid, variant) -> request body
    rows: Callable[[str], Any]  # client_uuid -> queryset of rows recorded under it
    shows: Callable[[dict[str, Any]], Any]  # the answer's value that tells the variants apart
    variants: tuple[Any, Any]


@pytest.fixture
def endpoints(reference_data) -> tuple[Any, dict[str, Endpoint]]:
    center = ReceptionCenterFactory(code="CA")
    caseworker = UserFactory(username="caseworker_a", centers=[center])
    case = case_open(actor=caseworker, person=PersonFactory(centers=[center]), center=center).case
    consents_record(actor=caseworker, person=case.person, consents={"share_with_partners": True})
    partner = Partner.objects.create(name="INTECAP", kind="government", country=country("GT"))
    partner.service_lines.add(ServiceLine.objects.get(code="vocational_training"))
    newcomer = PersonFactory(centers=[center])
    case_url = f"/api/v1/cases/{case.pk}/"
    return caseworker, {
        "case": Endpoint(
            url="/api/v1/cases/",
            body=lambda key, restricted: {
                "client_uuid": key,
                "person": str(newcomer.pk),
                "center": "CA",
                "restricted": restricted,
            },
            rows=lambda key: Case.objects.filter(client_uuid=key),
            shows=lambda answer: answer["restricted"],
            variants=(False, True),
        ),
        "note": Endpoint(
            url=f"{case_url}notes/",
            body=lambda key, text: {"client_uuid": key, "text": text},
            rows=lambda key: CaseNote.objects.filter(client_uuid=key),
            shows=lambda answer: answer["text"],
            variants=("Llegó con su hija", "Tiene empleo"),
        ),
        "referral": Endpoint(
            url=f"{case_url}referrals/",
            body=lambda key, reason: {
                "client_uuid": key,
                "partner": partner.pk,
                "service_line": "vocational_training",
                "reason": reason,
            },
            rows=lambda key: Referral.objects.filter(client_uuid=key),
            shows=lambda answer: answer["reason"],
            variants=("Curso de cocina", "Curso de panadería"),
        ),
    }


def post_at_once(user: Any, url: str, bodies: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    """POST every body from its own thread and connection, all released together."""
    barrier = threading.Barrier(len(bodies))
    answers: list[tuple[int, Any]] = [(0, None)] * len(bodies)

    def post(index: int, body: dict[str, Any]) -> None:
        try:
            client = APIClient()
            client.force_authenticate(user)
            barrier.wait(timeout=30)
            response = client.post(url, body, format="json")
            answers[index] = (response.status_code, response.json())
        except Exception as exc:  # noqa: BLE001 - a crash is an answer the test reports
            answers[index] = (500, repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=item) for item in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


@pytest.mark.parametrize("kind", ["case", "note", "referral"])
def test_the_same_body_twenty_times_at_once_is_one_201_and_nineteen_identical_200s(endpoints, kind):
    user, by_kind = endpoints
    endpoint = by_kind[kind]
    key = str(uuid.uuid4())
    body = endpoint.body(key, endpoint.variants[0])

    answers = post_at_once(user, endpoint.url, [body] * THREADS)

    statuses = Counter(status for status, _answer in answers)
    assert statuses == {201: 1, 200: THREADS - 1}, answers
    assert all(answer == answers[0][1] for _status, answer in answers)
    assert endpoint.rows(key).count() == 1


@pytest.mark.parametrize("kind", ["case", "note", "referral"])
def test_two_bodies_at_once_one_201_its_replays_200_the_other_409(endpoints, kind):
    user, by_kind = endpoints
    endpoint = by_kind[kind]
    key = str(uuid.uuid4())
    variants = [endpoint.variants[i % 2] for i in range(THREADS)]

    answers = post_at_once(user, endpoint.url, [endpoint.body(key, v) for v in variants])

    assert Counter(status for status, _answer in answers)[201] == 1, answers
    winner = next(answer for status, answer in answers if status == 201)
    for variant, (status, answer) in zip(variants, answers, strict=True):
        if variant == endpoint.shows(winner):
            assert status in (200, 201), answers
            assert answer == winner  # its own body, never the other one
        else:
            assert status == 409, answers
    assert endpoint.rows(key).count() == 1
