"""The load test's floor: the SQL of each caseworker's requests, captured without leaving a row."""

import pytest
from django.conf import settings
from django.test import Client

from devtools.loadtest_floor import floor_capture
from intake.models import Arrival
from registry.models import Department, MigrationReason, Person
from registry.sign_in import api_token_issue
from services.models import Distribution, ServiceDelivery
from services.tests.factories import person_arrived

pytestmark = pytest.mark.django_db


def account(user, center, person):
    """What `manage.py bench --loadtest-prepare` writes for one caseworker."""
    client = Client()
    client.force_login(user)
    return {
        "username": user.username,
        "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "token": api_token_issue(user=user).key,
        "center": center.code,
        "kind": center.kind,
        "country": center.country.iso2,
        "time_zone": center.time_zone,
        "floor_person": str(person.pk),
    }


def test_each_request_is_captured_and_nothing_is_left_behind(caseworker, center_a):
    persons = [person_arrived(center_a, days_ago=10) for _ in range(12)]
    department = Department.objects.filter(country=center_a.country).first()
    targets = {
        "accounts": [account(caseworker, center_a, persons[0])],
        "persons": {center_a.code: [str(p.pk) for p in persons]},
        "departments": {center_a.country.iso2: [department.iso_code]},
        "reasons": list(MigrationReason.objects.values_list("code", flat=True)[:3]),
    }
    before = (Person.objects.count(), Arrival.objects.count(), ServiceDelivery.objects.count())

    captured = floor_capture(targets)

    kinds = captured[caseworker.username]
    assert set(kinds) == {
        "arrivals_today",
        "caseload",
        "case_list",
        "person_page",
        "lookup",
        "register",
        "distribution",
    }
    assert all(kinds.values())
    # The registration's own statements are there (the floor replays them and rolls back) ...
    assert any(sql.startswith('INSERT INTO "intake_arrival"') for sql in kinds["register"])
    assert any(str(persons[0].pk).replace("-", "") in sql for sql in kinds["person_page"])
    # ... but not the capture's savepoints, and no row stayed.
    assert not any(sql.startswith("SAVEPOINT") for stmts in kinds.values() for sql in stmts)
    after = (Person.objects.count(), Arrival.objects.count(), ServiceDelivery.objects.count())
    assert after == before
    assert not Distribution.objects.exists()
