"""Every route × every role × an own-centre, an other-centre and a restricted record.

The answers expected are in routes.py (with the decisions behind them). Each case also checks
that a refused write changed nothing, that no response shows a person or a case the role may
not open (their document number, phone, case number, notes, needs or goals), and that no answer
to a signed-in user may be stored by a cache. Every HTML route refuses the methods no HTML view
handles.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from .routes import (
    API,
    CASE_READERS,
    HTML,
    KNOWN_DEFECTS,
    PERSON_READERS,
    RECORDS,
    ROLES,
    ROUTES,
    model_snapshot,
)


def _cases():
    for route in ROUTES:
        for role in ROLES:
            for record in route.records:
                marks = []
                defect = KNOWN_DEFECTS.get((route.id, role, record))
                if defect:
                    marks.append(pytest.mark.xfail(strict=True, reason=defect))
                yield pytest.param(
                    route, role, record, id=f"{route.id}-{role}-{record}", marks=marks
                )


def _forbidden_strings(world, role: str) -> list[str]:
    """What this role may never see: the people and cases it may not open."""
    hidden = []
    for record in RECORDS:
        records = world.records[record]
        if role not in PERSON_READERS[record]:
            hidden.extend(records.person_secrets)
        if role not in CASE_READERS[record]:
            hidden.extend(records.case_secrets)
    return [text for text in hidden if text]


def _request(route, world, role: str, record: str):
    user = world.user(role)
    client = APIClient() if route.kind == API else Client()
    if user is not None:
        client.force_login(user)
    url = route.url(world, record)
    body = route.body(world, record) if route.body else None
    headers = {"HTTP_ACCEPT_LANGUAGE": "en"}
    if route.extra.get("if_match"):
        # The current version of the row the route changes: the case, or a goal of it.
        row = getattr(world.records[record], route.extra["if_match"])
        version = type(row).objects.get(pk=row.pk).version
        headers["HTTP_IF_MATCH"] = f'"{version}"'

    if route.method == "GET":
        return client.get(url, body or {}, **headers)
    if route.kind == API:
        return client.generic(
            route.method,
            url,
            json.dumps(body or {}),
            content_type="application/json",
            **headers,
        )
    return client.generic(
        route.method,
        url,
        _urlencode(body or {}),
        content_type="application/x-www-form-urlencoded",
        **headers,
    )


def _urlencode(body: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(body, doseq=True)


@pytest.mark.parametrize(("route", "role", "record"), list(_cases()))
def test_route_answers_role_for_record(route, role, record, world):
    expected = route.expect(role, record)
    if "before" in route.extra:
        route.extra["before"](world, record)
    before = model_snapshot() if route.is_write else None

    response = _request(route, world, role, record)

    content = response.content.decode(errors="replace")
    assert response.status_code == expected, (
        f"{route.method} {route.url(world, record)} as {role} on the {record} record: "
        f"{response.status_code}, expected {expected}\n{content[:600]}"
    )
    if route.location is not None and expected in (301, 302):
        leads_to = route.location(world, role, record)
        if leads_to is not None:
            assert response["Location"].split("?")[0] == leads_to
    if route.is_write:
        if expected in route.changes_on and role != "anonymous":
            assert model_snapshot() != before, "the write answered success but changed nothing"
        else:
            assert model_snapshot() == before, "a refused (or invalid) write changed data"
    for text in _forbidden_strings(world, role):
        assert text not in content, f"{role} was shown {text!r}"
    if role != "anonymous":
        assert "no-store" in response.get("Cache-Control", ""), "an answer a cache may keep"


HTML_ROUTES = {route.name: route for route in ROUTES if route.kind == HTML}


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "TRACE"])
@pytest.mark.parametrize("name", sorted(HTML_ROUTES))
def test_html_route_refuses_methods_it_does_not_handle(name, method, world):
    route = HTML_ROUTES[name]
    url = route.url(world, route.records[0])
    client = Client()
    client.force_login(world.user("caseworker_a"))
    before = model_snapshot()

    response = client.generic(method, url)

    assert response.status_code == 405, f"{method} {url}: {response.status_code}"
    assert model_snapshot() == before
