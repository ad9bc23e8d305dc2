"""Caseworkers on tablets at reception centres, as locust users (run by loadtest/run.py).

Each locust user is one caseworker account made by `manage.py bench --loadtest-prepare` (its own
account, so no two users share a throttle bucket or a session). HTML pages are read with a
session made for the account beforehand (no password hashing during the test); writes go to the
API with the account's token, as the tablet app does. The requests are built by
devtools.loadtest_requests, which the floor's capture uses too.

`Caseworker`, a day's mix, per caseworker:
- today's arrivals list (GET /intake/)
- intake: the duplicate-candidates lookup, then registering the arrival of a new person
  (POST /api/v1/arrivals/); one submission in five is sent twice with the same client UUID, as a
  tablet does when the first answer is lost, and must answer 201 then 200
- a person's page (GET /persons/<id>/)
- a bulk distribution to part of a flight (POST /api/v1/distributions/, 3 items), also replayed
  one time in five
- the caseload screen (GET /) and the case list (GET /cases/)

`FlightCaseworker` (LOADTEST_PROFILE=flight; LOADTEST_FLIGHT_USERS of them, 20 by default, the
others being `Caseworker`s): a charter of 135 passengers has landed at one airport centre. Its
caseworkers take the next passenger off the shared manifest, look them up and register them
(one in seven returned before and is recognised), and hand the arrival kit to each ten
registered; when the flight is done they go back to the day's mix.

LOADTEST_TARGET=floor sends every request instead to the floor (loadtest/floor.py): the same
account's captured SQL for that kind of request, replayed by a bare view. Replays of a
submission are not sent there (their SQL was not captured).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task
from locust.clients import HttpSession

from devtools.loadtest_requests import (
    KIT,
    KIT_GROUP,
    arrival_body,
    distribution_body,
    lookup_query,
    passenger_new,
)

TARGETS = json.loads(
    Path(os.environ.get("LOADTEST_TARGETS", "loadtest/.run/targets.json")).read_text("utf-8")
)
FLOOR = os.environ.get("LOADTEST_TARGET", "retorno") == "floor"
REPLAY_SHARE = 0.2
# Seconds between two actions of one caseworker (LOADTEST_WAIT="1,3"): a flight's rush, with
# every tablet busy; a calmer day is "5,15".
WAIT = tuple(float(x) for x in os.environ.get("LOADTEST_WAIT", "1,3").split(","))

_lock = threading.Lock()
_next_account = itertools.count()
_next_flight_account = itertools.count()
FLIGHT = TARGETS.get("flight") or {}
_manifest = list(FLIGHT.get("manifest", []))
_registered: list[str] = []  # the flight's passengers registered and waiting for their kit


def _next(counter: itertools.count, accounts: list[dict]) -> dict:
    with _lock:
        index = next(counter)
    return accounts[index % len(accounts)]


class Tablet(HttpUser):
    """A caseworker's tablet: its account, its two doors (browser and API) and what it does."""

    abstract = True
    wait_time = between(WAIT[0], WAIT[-1])

    def on_start(self) -> None:
        self.account = _next(_next_account, TARGETS["accounts"])
        self.rng = random.Random()
        self.persons = TARGETS["persons"][self.account["center"]]
        self.client.cookies.set(TARGETS["session_cookie"], self.account["session"])
        # The API door: token authentication, no cookies (so no CSRF check applies).
        self.api = HttpSession(
            base_url=self.host, request_event=self.environment.events.request, user=self
        )
        self.api.headers["Authorization"] = f"Token {self.account['token']}"

    # -- reads ---------------------------------------------------------------------------------

    def arrivals_today(self) -> None:
        self._get("/intake/", "GET /intake/ (today's arrivals)", "arrivals_today")

    def person_page(self) -> None:
        person = self.rng.choice(self.persons)
        self._get(f"/persons/{person}/", "GET /persons/<id>/", "person_page")

    def caseload(self) -> None:
        self._get("/", "GET / (caseload)", "caseload")

    def case_list(self) -> None:
        self._get("/cases/", "GET /cases/", "case_list")

    # -- writes --------------------------------------------------------------------------------

    def intake(self) -> None:
        self._register(passenger_new(self.rng), "", "")

    def bulk_distribution(self) -> None:
        size = self.rng.randint(30, min(150, len(self.persons)))
        body = distribution_body(self.account, self.rng.sample(self.persons, size), self.rng)
        self._post("/api/v1/distributions/", body, "POST /api/v1/distributions/", "distribution")

    # -- the requests --------------------------------------------------------------------------

    def _register(self, passenger: dict[str, str], flight: str, label: str) -> str:
        """Look the passenger up, then register the arrival: the person's id, or ""."""
        if not self._lookup(passenger, label):
            return ""
        body = arrival_body(
            self.account,
            passenger,
            self.rng,
            departments=TARGETS["departments"][self.account["country"]],
            reasons=TARGETS["reasons"],
            flight=flight,
        )
        answer = self._post("/api/v1/arrivals/", body, f"POST /api/v1/arrivals/{label}", "register")
        return str((answer or {}).get("person", {}).get("id", "")) if not FLOOR else "floor"

    def _lookup(self, passenger: dict[str, str], label: str) -> bool:
        name = f"GET /api/v1/duplicate-candidates/{label}"
        if FLOOR:
            return self._floor(self.api.get, "lookup", name)
        with self.api.get(
            "/api/v1/duplicate-candidates/",
            params=lookup_query(passenger),
            name=name,
            catch_response=True,
        ) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}: {r.text[:200]}")
                return False
        return True

    def _get(self, url: str, name: str, kind: str) -> None:
        if FLOOR:
            self._floor(self.client.get, kind, name)
            return
        with self.client.get(url, name=name, catch_response=True, allow_redirects=False) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} (expected 200)")

    def _post(self, url: str, body: dict, name: str, kind: str) -> dict[str, Any] | None:
        """The answer's body (201), or None: a replay, one time in five, must answer 200."""
        if FLOOR:
            self._floor(self.api.get, kind, name)
            return None
        with self.api.post(url, json=body, name=name, catch_response=True) as r:
            if r.status_code != 201:
                r.failure(f"{r.status_code} (expected 201): {r.text[:200]}")
                return None
            answer = r.json()
        if self.rng.random() < REPLAY_SHARE:
            # The tablet did not get the answer and sends the same submission again.
            with self.api.post(url, json=body, name=f"{name} (replay)", catch_response=True) as r:
                if r.status_code != 200:
                    r.failure(f"{r.status_code} (expected 200 for a replay): {r.text[:200]}")
        return answer

    def _floor(self, send: Callable[..., Any], kind: str, name: str) -> bool:
        url = f"/floor/{self.account['username']}/{kind}/"
        with send(url, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"floor {r.status_code}")
                return False
        return True


class Caseworker(Tablet):
    """The day's mix, at one of the two busiest centres."""

    tasks = {
        Tablet.arrivals_today: 3,
        Tablet.person_page: 4,
        Tablet.caseload: 3,
        Tablet.case_list: 1,
        Tablet.intake: 3,
        Tablet.bulk_distribution: 1,
    }


class FlightCaseworker(Tablet):
    """A caseworker of the airport centre while a charter's passengers come through."""

    fixed_count = int(os.environ.get("LOADTEST_FLIGHT_USERS", "20"))

    def on_start(self) -> None:
        super().on_start()
        self.account = _next(_next_flight_account, FLIGHT["accounts"])
        self.persons = TARGETS["persons"][self.account["center"]]
        self.api.headers["Authorization"] = f"Token {self.account['token']}"
        self.client.cookies.set(TARGETS["session_cookie"], self.account["session"])

    @task
    def flight(self) -> None:
        """Ten registered passengers get their kit; else the next passenger is registered; when
        the flight is done, the day's mix."""
        with _lock:
            ready = len(_registered) >= KIT_GROUP or not _manifest
            group = _registered[:KIT_GROUP] if ready else []
            del _registered[: len(group)]
            passenger = _manifest.pop(0) if _manifest and not group else None
        if group:
            body = distribution_body(
                self.account, group, self.rng, items=KIT, label=f"Vuelo {FLIGHT['code']}"
            )
            self._post(
                "/api/v1/distributions/", body, "POST /api/v1/distributions/ (flight kits)", "kits"
            )
        elif passenger is not None:
            person = self._register(passenger, FLIGHT["code"], " (flight)")
            if person:
                with _lock:
                    _registered.append(person)
        else:
            self.rng.choice((self.person_page, self.caseload, self.arrivals_today))()
