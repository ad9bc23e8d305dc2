"""The load test's floor: the SQL of each caseworker's requests, captured once per account.

`make loadtest` serves these statements from a bare Django view (loadtest/floor.py) on the same
machine, with the same workers and connection settings, and sends it the same load: what
Retorno costs above that is Django's request handling, our code, its ORM and its templates.

Each request is captured through the test client inside a transaction that is rolled back, so
the capture leaves no row behind (no arrival, no audit entry, no summary refresh queued).
"""

from __future__ import annotations

import random
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from devtools import loadtest_requests as requests_built
from devtools.benchmarking import allowed_host

PAGES = {
    "arrivals_today": "/intake/",
    "caseload": "/",
    "case_list": "/cases/",
}
# The size of a handout whose SQL stands for every handout (locust's are 30 to 150 people).
DISTRIBUTION_PERSONS = 90
SAVEPOINTS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def floor_capture(targets: dict[str, Any], *, seed: int = 15) -> dict[str, dict[str, list[str]]]:
    """{username: {request kind: [SQL as sent]}} for every account of `targets`."""
    rng = random.Random(seed)
    captured: dict[str, dict[str, list[str]]] = {}
    for account in targets["accounts"]:
        persons = targets["persons"][account["center"]]
        html, api = _clients(account)
        kinds = _pages(html, account)
        kinds.update(_intake(api, account, targets, rng))
        body = requests_built.distribution_body(
            account, rng.sample(persons, min(DISTRIBUTION_PERSONS, len(persons))), rng
        )
        kinds["distribution"] = _statements(api.post, "/api/v1/distributions/", body, 201)
        captured[account["username"]] = kinds
    for account in targets.get("flight", {}).get("accounts", []):
        html, api = _clients(account)
        # When the flight is done, its caseworkers go back to the day's pages.
        kinds = _pages(html, account)
        kinds.update(_intake(api, account, targets, rng, flight=targets["flight"]["code"]))
        persons = targets["persons"][account["center"]]
        body = requests_built.distribution_body(
            account, rng.sample(persons, requests_built.KIT_GROUP), rng, items=requests_built.KIT
        )
        kinds["kits"] = _statements(api.post, "/api/v1/distributions/", body, 201)
        captured[account["username"]] = kinds
    return captured


def _clients(account: dict[str, Any]) -> tuple[Client, Client]:
    """The account's browser (its signed-in session) and its tablet app (its API token)."""
    html = Client(HTTP_HOST=allowed_host())
    html.cookies[settings.SESSION_COOKIE_NAME] = account["session"]
    api = Client(HTTP_HOST=allowed_host(), HTTP_AUTHORIZATION=f"Token {account['token']}")
    return html, api


def _pages(html: Client, account: dict[str, Any]) -> dict[str, list[str]]:
    kinds = {name: _statements(html.get, url) for name, url in PAGES.items()}
    kinds["person_page"] = _statements(html.get, f"/persons/{account['floor_person']}/")
    return kinds


def _intake(
    api: Client,
    account: dict[str, Any],
    targets: dict[str, Any],
    rng: random.Random,
    flight: str = "",
) -> dict[str, list[str]]:
    passenger = requests_built.passenger_new(rng)
    lookup = _statements(
        api.get, "/api/v1/duplicate-candidates/", requests_built.lookup_query(passenger)
    )
    body = requests_built.arrival_body(
        account,
        passenger,
        rng,
        departments=targets["departments"][account["country"]],
        reasons=targets["reasons"],
        flight=flight,
    )
    return {"lookup": lookup, "register": _statements(api.post, "/api/v1/arrivals/", body, 201)}


def _statements(send: Any, url: str, data: Any = None, status: int = 200) -> list[str]:
    """The SQL one request sends, captured in a transaction that is then rolled back."""
    extra = {"content_type": "application/json"} if status == 201 else {}
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        response = send(url, data, **extra) if data is not None else send(url)
        transaction.set_rollback(True)
    if response.status_code != status:
        raise CommandError(
            f"floor capture: {url} answered {response.status_code}, expected {status}: "
            f"{response.content[:300]!r}"
        )
    # The capture's own savepoints: the request, served alone, runs in a transaction of its own.
    return [
        query["sql"]
        for query in queries.captured_queries
        if not query["sql"].startswith(SAVEPOINTS)
    ]
