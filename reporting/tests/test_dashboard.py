"""The programme manager's dashboard: its figures are the rows recorded, of the user's centres only,
for the right people, in Spanish, with a query count that does not grow with the data."""

from __future__ import annotations

import itertools
import re
import zoneinfo
from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm

from casework.models import Case, FollowUp
from intake.tests.factories import ArrivalFactory
from registry.models import ClosureReason, Consent
from registry.roles import CASEWORKER, DONOR_REVIEWER, PROGRAMME_MANAGER, SUPERVISOR
from registry.tests.factories import PersonFactory, ReceptionCenterFactory, UserFactory, country
from reporting.dashboard import follow_up_compliance, months_of
from reporting.periods import fiscal_quarter, fiscal_year, month
from services.models import ServiceDelivery, ServiceType

pytestmark = pytest.mark.django_db

URL = "/reports/dashboard/"
GT = zoneinfo.ZoneInfo("America/Guatemala")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ES = {"HTTP_ACCEPT_LANGUAGE": "es"}
CASE_NUMBERS = itertools.count(1)
REPORT_CALLS = 12 * 3 + 3 + 1  # a fiscal year's load


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=GT)


def role_user(username: str, role: str, **kwargs):
    user = UserFactory(username=username, **kwargs)
    user.groups.add(Group.objects.get(name=role))
    return user


def manager_of(username: str, programme: str, centers):
    group = Group.objects.create(name=programme)
    for center in centers:
        assign_perm("registry.view_center_records", group, center)
    user = role_user(username, PROGRAMME_MANAGER)
    user.groups.add(group)
    return user


class Recorder:
    """Writes the rows a test counts on, at one centre."""

    def __init__(self, center, staff):
        self.center, self.staff = center, staff

    def arrival(self, person=None, day=date(2026, 1, 10)):
        return ArrivalFactory(
            person=person or PersonFactory(), center=self.center, arrived_at=at(day)
        ).person

    def deliver(self, person, code, day=date(2026, 1, 10), quantity=1):
        return ServiceDelivery.objects.create(
            person=person,
            center=self.center,
            service_type=ServiceType.objects.get(code=code),
            delivered_on=day,
            quantity=quantity,
            recorded_by=self.staff,
        )

    def case(self, person, opened=date(2026, 1, 12), closed=None, reason="reintegrated"):
        return Case.objects.create(
            number=f"{self.center.code}-2026-{next(CASE_NUMBERS):05d}",
            person=person,
            center=self.center,
            opened_by=self.staff,
            opened_at=at(opened),
            status=Case.Status.CLOSED if closed else Case.Status.OPEN,
            closed_at=at(closed) if closed else None,
            closure_reason=ClosureReason.objects.get(code=reason) if closed else None,
        )

    def follow_up(self, case, due, done=None):
        return FollowUp.objects.create(
            case=case, due_date=due, done_at=at(done) if done else None, created_by=self.staff
        )


@pytest.fixture
def world(db):
    center_a = ReceptionCenterFactory(code="CA", name_es="Centro A", name_en="Centre A")
    center_h = ReceptionCenterFactory(
        code="CH",
        name_es="Centro Honduras",
        name_en="Honduras Centre",
        country=country("HN"),
        time_zone="America/Tegucigalpa",
    )
    center_b = ReceptionCenterFactory(code="CB", name_es="Centro B", name_en="Centre B")
    staff_a = role_user("caseworker_a", CASEWORKER, centers=[center_a])
    staff_b = role_user("caseworker_b", CASEWORKER, centers=[center_b])
    users = {
        "manager": manager_of("manager_north", "Programa Norte", [center_a, center_h]),
        "manager_b": manager_of("manager_south", "Programa Sur", [center_b]),
        "supervisor": role_user("supervisor_a", SUPERVISOR, centers=[center_a]),
        "caseworker": staff_a,
        "donor": role_user("donor", DONOR_REVIEWER),
        "administrator": role_user("admin_user", "administrator", is_staff=True),
    }
    users["donor"].user_permissions.add(Permission.objects.get(codename="view_aggregates"))

    # Centre A, FY2026: 3 persons received in January (one of them twice), 2 given aid (one of
    # them two kinds), 1 case opened in January, a reintegration service in February, the case
    # closed as reintegrated in March; 3 follow-ups: on time, late, never done.
    a = Recorder(center_a, staff_a)
    first, second, _third = a.arrival(), a.arrival(), a.arrival()
    a.arrival(person=first, day=date(2026, 1, 20))
    a.deliver(first, "food")
    a.deliver(first, "hygiene_kit")
    a.deliver(second, "food", quantity=3)
    case = a.case(first, closed=date(2026, 3, 1))
    a.deliver(first, "vocational_training", day=date(2026, 2, 3))
    a.follow_up(case, due=date(2026, 2, 1), done=date(2026, 1, 31))
    a.follow_up(case, due=date(2026, 3, 1), done=date(2026, 3, 5))
    a.follow_up(case, due=date(2026, 4, 1))
    # Centre H (same programme, Honduras): 1 person received in February.
    Recorder(center_h, staff_a).arrival(day=date(2026, 2, 14))

    # Centre B, another programme: 5 persons received, aid, a case and follow-ups.
    b = Recorder(center_b, staff_b)
    for _ in range(5):
        person = b.arrival()
        b.deliver(person, "transport")
    other_case = b.case(person, opened=date(2026, 1, 11))
    b.follow_up(other_case, due=date(2026, 2, 2))
    return {"a": center_a, "h": center_h, "b": center_b, **users, "first": first}


def load(client, user, query=None, headers=EN):
    client.force_login(user)
    return client.get(URL, query or {"period": "FY2026"}, **headers)


# --- the numbers --------------------------------------------------------------------------------


def test_the_funnel_counts_the_persons_recorded(client, world):
    response = load(client, world["manager"])

    assert response.status_code == 200
    funnel = {step.code: step.count for step in response.context["dashboard"].funnel}
    assert funnel == {
        "received": 4,  # 3 at A (one came twice) and 1 at the Honduras centre
        "received_aid": 2,
        "case_opened": 1,
        "received_reintegration": 1,
        "completed": 1,
    }
    body = response.content.decode()
    assert '<tr data-step="received">' in body
    assert "25.0" in body  # 1 case opened of 4 received


def test_a_person_who_refused_to_be_counted_is_left_out_of_every_step(client, world):
    statistics = Consent.Kind.ANONYMISED_STATISTICS
    refusal = Consent.objects.create(
        person=world["first"], kind=statistics, granted=False, recorded_by=world["caseworker"]
    )

    funnel = {s.code: s.count for s in load(client, world["manager"]).context["dashboard"].funnel}
    assert funnel == {
        "received": 3,
        "received_aid": 1,
        "case_opened": 0,
        "received_reintegration": 0,
        "completed": 0,
    }

    Consent.objects.create(
        person=world["first"],
        kind=statistics,
        granted=True,
        recorded_by=world["caseworker"],
        recorded_at=refusal.recorded_at + timedelta(days=1),
    )
    funnel = {s.code: s.count for s in load(client, world["manager"]).context["dashboard"].funnel}
    assert funnel["case_opened"] == 1 and funnel["completed"] == 1


def test_monthly_uptake_by_month_and_centre(client, world):
    dashboard = load(client, world["manager"]).context["dashboard"]

    by_month = {m.period.label: m.totals for m in dashboard.months}
    assert len(by_month) == 12
    assert by_month["2026-01"] == {"received": 3, "received_aid": 2, "received_reintegration": 0}
    assert by_month["2026-02"] == {"received": 1, "received_aid": 0, "received_reintegration": 1}
    assert by_month["2025-12"] == {"received": 0, "received_aid": 0, "received_reintegration": 0}
    february = next(m for m in dashboard.months if m.period.label == "2026-02")
    assert february.by_center["CH"]["received"] == 1
    assert february.by_center["CA"]["received_reintegration"] == 1


def test_uptake_by_centre_over_the_whole_period(client, world):
    response = load(client, world["manager"])

    totals = {c.code: v for c, v in response.context["dashboard"].center_totals}
    assert totals == {"CA": [3, 2, 1], "CH": [1, 0, 0]}
    body = response.content.decode()
    row = body[body.index('<tr data-center="CH">') :].split("</tr>")[0]
    assert re.findall(r'<td class="numeric">(\d+)</td>', row) == ["1", "0", "0"]


def test_services_by_type_count_deliveries_and_quantities(client, world):
    services = {
        row.code: (row.deliveries, row.quantity)
        for row in load(client, world["manager"]).context["dashboard"].services
    }

    assert services == {"food": (2, 4), "hygiene_kit": (1, 1), "vocational_training": (1, 1)}


def test_follow_up_compliance(client, world):
    dashboard = load(client, world["manager"]).context["dashboard"]

    total = dashboard.follow_up_total
    assert (total.scheduled, total.on_time, total.late, total.overdue) == (3, 1, 1, 1)
    assert total.compliance == pytest.approx(33.3)
    body = load(client, world["manager"]).content.decode()
    assert "33.3 %" in body


def test_follow_ups_not_yet_due_are_not_held_against_compliance(world):
    rows, total = follow_up_compliance(
        period=fiscal_year(2026), centers=[world["a"]], today=date(2026, 3, 20)
    )

    assert (total.on_time, total.late, total.overdue, total.not_yet_due) == (1, 1, 0, 1)
    assert total.compliance == 50.0  # the follow-up due on 1 April is not counted against it
    assert rows[0].center == world["a"]


def test_filters_narrow_to_a_centre_and_a_country(client, world):
    only_a = load(client, world["manager"], {"period": "FY2026", "center": "CA"})
    honduras = load(client, world["manager"], {"period": "FY2026-Q2", "country": "HN"})

    assert {s.code: s.count for s in only_a.context["dashboard"].funnel}["received"] == 3
    dashboard = honduras.context["dashboard"]
    assert [c.code for c in dashboard.centers] == ["CH"]
    assert {s.code: s.count for s in dashboard.funnel}["received"] == 1
    assert dashboard.period == fiscal_quarter(2026, 2)
    assert [m.period for m in dashboard.months] == months_of(fiscal_quarter(2026, 2))


def test_a_month_period_shows_that_month(client, world):
    dashboard = load(client, world["manager"], {"period": "2026-01"}).context["dashboard"]

    assert [m.period for m in dashboard.months] == [month(2026, 1)]
    assert {s.code: s.count for s in dashboard.funnel}["received"] == 3


def test_the_data_as_of_time_is_shown(client, world):
    response = load(client, world["manager"])

    assert response.context["dashboard"].data_as_of is not None
    assert "Data as of" in response.content.decode()


# --- scope and access ---------------------------------------------------------------------------


def test_another_programmes_figures_never_appear(client, world):
    response = load(client, world["manager_b"])
    body = response.content.decode()

    funnel = {step.code: step.count for step in response.context["dashboard"].funnel}
    assert funnel["received"] == 5 and funnel["received_aid"] == 5
    assert [c.code for c in response.context["dashboard"].centers] == ["CB"]
    assert "Centre A" not in body and "Honduras Centre" not in body
    assert "hygiene_kit" not in body


def test_a_centre_outside_the_programme_cannot_be_chosen(client, world):
    response = load(client, world["manager"], {"period": "FY2026", "center": "CB"})
    body = response.content.decode()

    assert response.status_code == 200
    assert response.context["dashboard"] is None
    assert "Centre B" not in body
    assert 'data-step="received"' not in body


def test_the_supervisor_sees_their_own_centre_only(client, world):
    dashboard = load(client, world["supervisor"]).context["dashboard"]

    assert [c.code for c in dashboard.centers] == ["CA"]
    assert {s.code: s.count for s in dashboard.funnel}["received"] == 3


@pytest.mark.parametrize(
    ("role", "status"),
    [("caseworker", 403), ("donor", 404), ("administrator", 404)],
)
def test_who_may_not_open_it(client, world, role, status):
    assert load(client, world[role]).status_code == status


def test_anonymous_is_sent_to_sign_in(client, world):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize(
    ("role", "dashboard", "exports"),
    [
        ("manager", True, True),
        # centre staff: found once at sign-in, no query on their pages (see reporting_nav)
        ("supervisor", True, False),
        ("caseworker", False, False),
        ("donor", False, True),
        ("administrator", False, True),
    ],
)
def test_the_navigation_links_the_reports_for_their_audience(
    client, world, role, dashboard, exports
):
    client.force_login(world[role])
    nav = client.get(reverse("home"), **EN).content.decode().split("</nav>")[0]
    assert (f'href="{URL}"' in nav) is dashboard
    assert (f'href="{reverse("reporting_exports:export_start")}"' in nav) is exports


# --- languages and charts -----------------------------------------------------------------------


def test_charts_are_accessible_svg_each_followed_by_its_table(client, world):
    body = load(client, world["manager"]).content.decode()

    charts = ("chart-uptake", "chart-uptake-centres", "chart-funnel", "chart-services")
    for chart in (*charts, "chart-follow-ups"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in body
        assert f'<title id="{chart}-title">' in body
        assert f'<desc id="{chart}-desc">' in body
        after = body[body.index(f'id="{chart}"') :]
        assert after.index("<table") < after.index("</section>")
    assert "Hygiene kit: 1</title>" in body


def test_spanish_labels_render(client, world):
    body = load(client, world["manager"], headers=ES).content.decode()

    assert '<html lang="es">' in body
    # from the catalogue, the service list and Django's month names
    assert "Recibidos" in body and "Caso abierto" in body
    assert "Asistencia posterior a la llegada" in body
    assert "Kit de higiene: 1</title>" in body
    assert "Alimentación / refrigerio" in body
    assert "Centro Honduras" in body and "Centre A" not in body
    assert "ene 2026" in body.lower() or "ene. 2026" in body.lower()
    assert "Centro de recepción" in body


def test_the_dashboards_own_strings_are_in_spanish(client, world):
    body = load(client, world["manager"], headers=ES).content.decode()
    assert "Uptake funnel" not in body and "Follow-up compliance" not in body
    assert "Embudo de atención" in body and "Cumplimiento de seguimientos" in body
    # the period's names too (built in Python, not in the template)
    assert "Año fiscal" in body and "Fiscal year" not in body


# --- queries ------------------------------------------------------------------------------------


def _queries(client, user, query) -> int:
    client.force_login(user)
    client.get(URL, query)  # warm up: content types, the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, query)
    assert response.status_code == 200
    return len(captured)


def test_the_query_count_is_pinned_and_flat_as_rows_grow(client, world):
    query = {"period": "FY2026"}
    before = _queries(client, world["manager"], query)

    a = Recorder(world["a"], world["caseworker"])
    for day in (date(2025, 10, 3), date(2026, 1, 5), date(2026, 6, 9)):
        for _ in range(6):
            person = a.arrival(day=day)
            a.deliver(person, "food", day=day)
            a.deliver(person, "transport", day=day)
            case = a.case(person, opened=day)
            a.follow_up(case, due=day)
    after = _queries(client, world["manager"], query)

    assert after == before
    # report_compute calls: 12 months x 3 indicators, 3 for the funnel, 1 for the services,
    # each a summary-state check and one or two counts (132 measured); then the service names,
    # the cases, the follow-ups, the user's centres and permissions, the session and the user.
    assert after <= REPORT_CALLS * 3 + 15


def test_a_supervisor_signing_in_through_the_form_is_offered_the_dashboard(client, world):
    world["supervisor"].set_password("a-long-passphrase")
    world["supervisor"].save()
    client.post(reverse("login"), {"username": "supervisor_a", "password": "a-long-passphrase"})
    nav = client.get(reverse("home"), **EN).content.decode().split("</nav>")[0]
    assert f'href="{URL}"' in nav
