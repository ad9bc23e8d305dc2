"""The load test's requests, built in one place for locust (loadtest/locustfile.py) and for the
floor's capture (devtools.loadtest_floor), so that the floor replays the SQL of the very
requests the caseworkers send.

Plain Python: locust imports it without Django.
"""

from __future__ import annotations

import random
import uuid
import zoneinfo
from datetime import datetime, timedelta
from typing import Any

GIVEN = ("María José", "Ana Lucía", "Juan Carlos", "Luis", "Rosa", "Marvin", "Sofía", "Kevin")
SURNAMES = ("López", "García", "Pérez", "Tzul", "Coc", "Reyes", "Mejía", "Castillo", "Ajú")
ITEMS = ("hygiene_kit", "food", "transport")
# What each passenger of a flight is handed after registration: the arrival kit.
KIT = ("hygiene_kit", "food")
# Passengers a caseworker hands the kit to at once, as they come out of registration.
KIT_GROUP = 10


def passenger_new(rng: random.Random) -> dict[str, str]:
    """Someone who never returned before: names and a date of birth."""
    given, first, second = rng.choice(GIVEN), *rng.sample(SURNAMES, 2)
    born = datetime(1970, 1, 1) + timedelta(days=rng.randint(0, 35 * 365))
    return {
        "given_names": given,
        "first_surname": first,
        "second_surname": second,
        "birth_date": born.date().isoformat(),
    }


def lookup_query(passenger: dict[str, str]) -> dict[str, str]:
    """The duplicate-candidates lookup the tablet makes before registering."""
    return {
        key: passenger[key]
        for key in ("given_names", "first_surname", "second_surname", "birth_date")
    }


def arrival_body(
    account: dict[str, Any],
    passenger: dict[str, str],
    rng: random.Random,
    *,
    departments: list[str],
    reasons: list[str],
    flight: str = "",
) -> dict[str, Any]:
    """POST /api/v1/arrivals/: a new person, or (`passenger["person"]`) one who returned before."""
    air = account["kind"] != "land"
    zone = zoneinfo.ZoneInfo(account["time_zone"])
    body: dict[str, Any] = {
        "client_uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "center": account["center"],
        "arrived_at": (datetime.now(zone) - timedelta(minutes=rng.randint(5, 120)))
        .replace(microsecond=0)
        .isoformat(),
        "mode": "air" if air else "land",
        "returned_from": "US" if air else "MX",
        "transport_reference": flight or f"LT{rng.randint(1000, 9999)}",
        "reasons": rng.sample(reasons, min(1, len(reasons))),
        "intends_to_migrate_again": rng.choice(("yes", "no", "undecided")),
        "consents": {"process_data": True, "anonymised_statistics": True},
    }
    if passenger.get("person"):
        body["person"] = passenger["person"]
        return body
    body["new_person"] = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        **lookup_query(passenger),
        "sex": rng.choice(("female", "male")),
        "nationality": account["country"],
        "document_type": "none",
        "origin_department": rng.choice(departments),
    }
    return body


def distribution_body(
    account: dict[str, Any],
    persons: list[str],
    rng: random.Random,
    *,
    items: tuple[str, ...] = ITEMS,
    label: str = "",
) -> dict[str, Any]:
    """POST /api/v1/distributions/: `items` handed to each of `persons` today."""
    zone = zoneinfo.ZoneInfo(account["time_zone"])
    return {
        "client_uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "center": account["center"],
        "delivered_on": datetime.now(zone).date().isoformat(),
        "items": [{"service_type": code, "quantity": 1} for code in items],
        "persons": persons,
        "group_label": label or f"Vuelo LT{rng.randint(100, 999)}",
        # A kit handed again the same day is the load test's doing, not a caseworker's slip.
        "confirm_repeat": True,
    }
