"""Caseworkers on tablets at reception centres, as locust users (run by loadtest/run.py).

Each locust user is one caseworker account made by `manage.py bench --loadtest-prepare` (its own
account, so no two users share a throttle bucket or a session). HTML pages are read with a
session made for the account beforehand (no password hashing during the test); writes go to the
API with the account's token, as the tablet app does. The mix, per caseworker:

- today's arrivals list (GET /intake/)
- intake: the duplicate-candidates lookup, then registering the arrival of a new person
  (POST /api/v1/arrivals/); one submission in five is sent twice with the same client UUID, as a
  tablet does when the first answer is lost, and must answer 201 then 200
- a person's page (GET /persons/<id>/)
- a bulk distribution to part of a flight (POST /api/v1/distributions/, 3 items), also replayed
  one time in five
- the caseload screen (GET /) and the case list (GET /cases/)
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
import uuid
import zoneinfo
from datetime import datetime, timedelta
from pathlib import Path

from locust import HttpUser, between, task
from locust.clients import HttpSession

TARGETS = json.loads(
    Path(os.environ.get("LOADTEST_TARGETS", "loadtest/.run/targets.json")).read_text("utf-8")
)
_next_account = itertools.count()
_lock = threading.Lock()

GIVEN = ("María José", "Ana Lucía", "Juan Carlos", "Luis", "Rosa", "Marvin", "Sofía", "Kevin")
SURNAMES = ("López", "García", "Pérez", "Tzul", "Coc", "Reyes", "Mejía", "Castillo", "Ajú")
ITEMS = ("hygiene_kit", "food", "transport")
REPLAY_SHARE = 0.2


def _account() -> dict:
    with _lock:
        index = next(_next_account)
    accounts = TARGETS["accounts"]
    return accounts[index % len(accounts)]


# Seconds between two actions of one caseworker (LOADTEST_WAIT="1,3"): a flight's rush, with
# every tablet busy; a calmer day is "5,15".
WAIT = tuple(float(x) for x in os.environ.get("LOADTEST_WAIT", "1,3").split(","))


class Caseworker(HttpUser):
    wait_time = between(WAIT[0], WAIT[-1])

    def on_start(self) -> None:
        self.account = _account()
        self.zone = zoneinfo.ZoneInfo(self.account["time_zone"])
        self.persons = TARGETS["persons"][self.account["center"]]
        self.client.cookies.set(TARGETS["session_cookie"], self.account["session"])
        # The API door: token authentication, no cookies (so no CSRF check applies).
        self.api = HttpSession(
            base_url=self.host, request_event=self.environment.events.request, user=self
        )
        self.api.headers["Authorization"] = f"Token {self.account['token']}"

    # -- reads ---------------------------------------------------------------------------------

    @task(3)
    def arrivals_today(self) -> None:
        self._get("/intake/", "GET /intake/ (today's arrivals)")

    @task(4)
    def person_page(self) -> None:
        person = random.choice(self.persons)
        self._get(f"/persons/{person}/", "GET /persons/<id>/")

    @task(3)
    def caseload(self) -> None:
        self._get("/", "GET / (caseload)")

    @task(1)
    def case_list(self) -> None:
        self._get("/cases/", "GET /cases/")

    def _get(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, catch_response=True, allow_redirects=False) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} (expected 200)")

    # -- writes --------------------------------------------------------------------------------

    @task(3)
    def intake(self) -> None:
        given, first, second = random.choice(GIVEN), *random.sample(SURNAMES, 2)
        born = datetime(1970, 1, 1) + timedelta(days=random.randint(0, 35 * 365))
        query = {
            "given_names": given,
            "first_surname": first,
            "second_surname": second,
            "birth_date": born.date().isoformat(),
        }
        with self.api.get(
            "/api/v1/duplicate-candidates/",
            params=query,
            name="GET /api/v1/duplicate-candidates/",
            catch_response=True,
        ) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}: {r.text[:200]}")
                return
        air = self.account["kind"] != "land"
        body = {
            "client_uuid": str(uuid.uuid4()),
            "center": self.account["center"],
            "new_person": {
                "id": str(uuid.uuid4()),
                "given_names": given,
                "first_surname": first,
                "second_surname": second,
                "sex": random.choice(("female", "male")),
                "birth_date": query["birth_date"],
                "nationality": self.account["country"],
                "document_type": "none",
                "origin_department": random.choice(TARGETS["departments"][self.account["country"]]),
            },
            "arrived_at": (datetime.now(self.zone) - timedelta(minutes=random.randint(5, 120)))
            .replace(microsecond=0)
            .isoformat(),
            "mode": "air" if air else "land",
            "returned_from": "US" if air else "MX",
            "transport_reference": f"LT{random.randint(1000, 9999)}",
            "reasons": random.sample(TARGETS["reasons"], min(1, len(TARGETS["reasons"]))),
            "intends_to_migrate_again": random.choice(("yes", "no", "undecided")),
            "consents": {"process_data": True, "anonymised_statistics": True},
        }
        self._post("/api/v1/arrivals/", body, "POST /api/v1/arrivals/")

    @task(1)
    def bulk_distribution(self) -> None:
        size = random.randint(30, min(150, len(self.persons)))
        body = {
            "client_uuid": str(uuid.uuid4()),
            "center": self.account["center"],
            "delivered_on": datetime.now(self.zone).date().isoformat(),
            "items": [{"service_type": code, "quantity": 1} for code in ITEMS],
            "persons": random.sample(self.persons, size),
            "group_label": f"Vuelo LT{random.randint(100, 999)}",
        }
        self._post("/api/v1/distributions/", body, "POST /api/v1/distributions/")

    def _post(self, url: str, body: dict, name: str) -> None:
        with self.api.post(url, json=body, name=name, catch_response=True) as r:
            if r.status_code != 201:
                r.failure(f"{r.status_code} (expected 201): {r.text[:200]}")
                return
        if random.random() < REPLAY_SHARE:
            # The tablet did not get the answer and sends the same submission again.
            with self.api.post(url, json=body, name=f"{name} (replay)", catch_response=True) as r:
                if r.status_code != 200:
                    r.failure(f"{r.status_code} (expected 200 for a replay): {r.text[:200]}")
