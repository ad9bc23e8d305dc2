"""The home page as "my caseload": my open cases, overdue follow-ups, referrals waiting, recent
arrivals not assessed; the supervisor's table per caseworker; the programme manager's counts."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from casework import home_parts
from intake.tests.factories import ArrivalFactory
from registry import roles
from registry.models import ClosureReason, Partner, ServiceLine
from registry.tests.factories import PersonFactory, ReceptionCenterFactory, UserFactory, country

from ..actions import case_assess, case_close, case_open
from ..models import Case, FollowUp, Referral

pytestmark = pytest.mark.django_db


def url_or_none(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


@pytest.fixture
def supervisor(center_a):
    user = UserFactory(username="supervisor_a", first_name="Suyapa", centers=[center_a])
    user.groups.add(Group.objects.get(name=roles.SUPERVISOR))
    return user


@pytest.fixture
def partner(db):
    partner = Partner.objects.create(
        name="INTECAP", kind=Partner.Kind.GOVERNMENT, country=country("GT")
    )
    partner.service_lines.add(ServiceLine.objects.get(code="vocational_training"))
    return partner


def open_case(center, assignee, *, restricted=False, arrival=None, person=None):
    person = person or (arrival.person if arrival else PersonFactory(centers=[center]))
    return case_open(
        actor=assignee,
        person=person,
        center=center,
        assigned_to=assignee,
        restricted=restricted,
        arrival=arrival,
    ).case


def follow_up(case, *, days, done=False):
    today = case.center.local_now().date()
    return FollowUp.objects.create(
        case=case,
        due_date=today + timedelta(days=days),
        created_by=case.assigned_to,
        done_at=timezone.now() if done else None,
    )


def referral(case, partner, status=Referral.Status.PENDING):
    return Referral.objects.create(
        case=case,
        partner=partner,
        service_line=partner.service_lines.first(),
        referred_by=case.assigned_to,
        status=status,
    )


def close(case):
    return case_close(
        actor=case.assigned_to,
        case=case,
        reason=ClosureReason.objects.get(code="reintegrated"),
        expected_version=case.version,
    )


def home(client, user):
    client.force_login(user)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response


def home_part(response) -> dict:
    """The context of casework's part of the home page ({} when the page has none)."""
    parts = [p for p in response.context["parts"] if p.template == home_parts.TEMPLATE]
    return parts[0].context if parts else {}


def test_lists_only_my_open_cases(client, caseworker, colleague, center_a, outsider, center_b):
    mine = open_case(center_a, caseworker)
    closed = close(open_case(center_a, caseworker))
    theirs = open_case(center_a, colleague)
    elsewhere = open_case(center_b, outsider)

    response = home(client, caseworker)

    assert home_part(response).get("caseload").open_cases == [mine]
    content = response.content.decode()
    assert mine.number in content
    assert mine.person.full_name in content
    for other in (closed, theirs, elsewhere):
        assert other.number not in content
    case_url = url_or_none("cases:case_detail", mine.pk)
    if case_url:
        assert f'href="{case_url}"' in content


def test_open_case_shows_last_activity_and_next_follow_up(client, caseworker, center_a):
    case = open_case(center_a, caseworker)
    follow_up(case, days=-3, done=True)
    later = follow_up(case, days=12)
    follow_up(case, days=30)

    (row,) = home_part(home(client, caseworker)).get("caseload").open_cases

    assert row.next_follow_up == later.due_date
    assert row.follow_up_overdue is False
    assert row.last_activity >= case.opened_at


def test_overdue_follow_ups_use_the_centres_local_date(client, caseworker, monkeypatch):
    # 03:00 UTC on 10 March is still 9 March in San Salvador (UTC-6).
    center = ReceptionCenterFactory(code="SAL", time_zone="America/El_Salvador")
    assign_perm("registry.work_at_center", caseworker, center)
    case = open_case(center, caseworker)
    due_local_today = FollowUp.objects.create(
        case=case, due_date=datetime(2026, 3, 9).date(), created_by=caseworker
    )
    due_yesterday = FollowUp.objects.create(
        case=case, due_date=datetime(2026, 3, 8).date(), created_by=caseworker
    )
    FollowUp.objects.create(
        case=case,
        due_date=datetime(2026, 3, 1).date(),
        created_by=caseworker,
        done_at=datetime(2026, 3, 2, tzinfo=UTC),
    )
    monkeypatch.setattr(
        "django.utils.timezone.now", lambda: datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
    )

    caseload = home_part(home(client, caseworker)).get("caseload")

    assert caseload.overdue_follow_ups == [due_yesterday]
    assert due_local_today not in caseload.overdue_follow_ups


def test_overdue_follow_ups_of_closed_or_colleagues_cases_are_not_mine(
    client, caseworker, colleague, center_a
):
    mine = follow_up(open_case(center_a, caseworker), days=-1)
    closed_case = open_case(center_a, caseworker)
    follow_up(closed_case, days=-1)
    close(closed_case)
    follow_up(open_case(center_a, colleague), days=-1)

    assert home_part(home(client, caseworker)).get("caseload").overdue_follow_ups == [mine]


def test_referrals_waiting_are_pending_or_accepted_on_my_cases(
    client, caseworker, colleague, center_a, partner
):
    case = open_case(center_a, caseworker)
    pending = referral(case, partner)
    accepted = referral(case, partner, Referral.Status.ACCEPTED)
    referral(case, partner, Referral.Status.COMPLETED)
    referral(case, partner, Referral.Status.DECLINED)
    referral(open_case(center_a, colleague), partner)

    waiting = home_part(home(client, caseworker)).get("caseload").referrals_waiting

    assert {r.pk for r in waiting} == {pending.pk, accepted.pk}


def test_recent_arrivals_not_yet_assessed(client, caseworker, center_a, center_b):
    person = PersonFactory(centers=[center_a])
    no_case = ArrivalFactory(center=center_a, registered_by=caseworker)
    unassessed = ArrivalFactory(center=center_a, registered_by=caseworker, person=person)
    unassessed_case = open_case(center_a, caseworker, arrival=unassessed)
    assessed = ArrivalFactory(center=center_a, registered_by=caseworker)
    assessed_case = open_case(center_a, caseworker, arrival=assessed)
    case_assess(
        actor=caseworker,
        case=assessed_case,
        vulnerabilities=[],
        economic_needs="Empleo",
        expected_version=assessed_case.version,
    )
    ArrivalFactory(
        center=center_a, registered_by=caseworker, arrived_at=timezone.now() - timedelta(days=8)
    )
    ArrivalFactory(center=center_b)

    response = home(client, caseworker)
    arrivals = home_part(response).get("caseload").arrivals

    assert {a.pk for a in arrivals} == {no_case.pk, unassessed.pk}
    by_pk = {a.pk: a for a in arrivals}
    assert by_pk[no_case.pk].visible_case_id is None
    assert by_pk[unassessed.pk].visible_case_id == unassessed_case.pk
    content = response.content.decode()
    assert reverse("intake:arrival_detail", args=[no_case.pk]) in content
    case_open_url = url_or_none("cases:case_open")
    if case_open_url:
        assert f"{case_open_url}?arrival={no_case.pk}" in content


def test_restricted_case_never_shows_for_a_colleague(
    client, caseworker, colleague, center_a, partner
):
    arrival = ArrivalFactory(
        center=center_a, registered_by=caseworker, arrived_at=timezone.now() - timedelta(days=10)
    )
    restricted = open_case(center_a, caseworker, restricted=True, arrival=arrival)
    follow_up(restricted, days=-2)
    referral(restricted, partner)

    content = home(client, colleague).content.decode()
    assert restricted.number not in content
    assert restricted.person.full_name not in content
    # The caseworker it was opened to sees it as any other case of theirs.
    caseload = home_part(home(client, caseworker)).get("caseload")
    assert caseload.open_cases == [restricted]
    assert len(caseload.overdue_follow_ups) == 1
    assert len(caseload.referrals_waiting) == 1


def _row(rows, user):
    (center_row,) = rows
    return next(r for r in center_row.staff if r.user_id == (user.pk if user else None))


def test_supervisor_sees_counts_per_caseworker(
    client, supervisor, caseworker, colleague, center_a, outsider, center_b, partner
):
    first = open_case(center_a, caseworker)
    second = open_case(center_a, caseworker)
    follow_up(first, days=-1)
    follow_up(first, days=-5)
    follow_up(second, days=-1, done=True)
    follow_up(second, days=3)
    referral(first, partner)
    referral(second, partner, Referral.Status.ACCEPTED)
    referral(second, partner, Referral.Status.COMPLETED)
    closed = open_case(center_a, colleague)
    follow_up(closed, days=-1)
    close(closed)
    open_case(center_a, colleague)
    open_case(center_b, outsider)

    response = home(client, supervisor)
    rows = home_part(response).get("caseload").supervision

    mine = _row(rows, caseworker)
    assert (mine.open_cases, mine.overdue_follow_ups, mine.referrals_waiting) == (2, 2, 2)
    theirs = _row(rows, colleague)
    assert (theirs.open_cases, theirs.overdue_follow_ups, theirs.referrals_waiting) == (1, 0, 0)
    own = _row(rows, supervisor)
    assert (own.open_cases, own.overdue_follow_ups, own.referrals_waiting) == (0, 0, 0)
    assert (rows[0].open_cases, rows[0].overdue_follow_ups, rows[0].referrals_waiting) == (3, 2, 2)
    assert outsider.pk not in {r.user_id for r in rows[0].staff}
    assert "Caseload of the centre" in response.content.decode()


def test_caseworker_sees_no_supervision_table(client, caseworker, center_a):
    open_case(center_a, caseworker)
    response = home(client, caseworker)
    assert home_part(response).get("caseload").supervision is None
    assert "Caseload of the centre" not in response.content.decode()


def test_restricted_cases_count_for_supervisors_of_the_centre_only(
    client, supervisor, caseworker, center_a, center_b, partner
):
    # Supervisors see restricted cases of their centre by role, even one who joined after
    # the case was restricted; a supervisor of another centre does not.
    restricted = open_case(center_a, caseworker, restricted=True)
    follow_up(restricted, days=-1)
    referral(restricted, partner)
    newcomer = UserFactory(username="supervisor_new", centers=[center_a])
    newcomer.groups.add(Group.objects.get(name=roles.SUPERVISOR))
    elsewhere = UserFactory(username="supervisor_b", centers=[center_b])
    elsewhere.groups.add(Group.objects.get(name=roles.SUPERVISOR))

    for user in (supervisor, newcomer):
        shown = _row(home_part(home(client, user)).get("caseload").supervision, caseworker)
        assert (shown.open_cases, shown.overdue_follow_ups, shown.referrals_waiting) == (1, 1, 1)
    rows = home_part(home(client, elsewhere)).get("caseload").supervision
    assert all(row.open_cases == 0 for row in rows)


def test_programme_manager_sees_counts_per_centre_read_only(
    client, caseworker, center_a, outsider, center_b, partner
):
    manager = UserFactory(username="manager")
    manager.groups.add(Group.objects.get(name=roles.PROGRAMME_MANAGER))
    assign_perm("registry.view_center_records", manager, center_a)
    case = open_case(center_a, caseworker)
    follow_up(case, days=-1)
    referral(case, partner)
    open_case(center_a, caseworker, restricted=True)
    open_case(center_b, outsider)
    ArrivalFactory(center=center_a)
    ArrivalFactory(center=center_b)

    response = home(client, manager)

    assert home_part(response).get("caseload") is None
    (row,) = home_part(response).get("overview")
    assert row.center == center_a
    assert (row.open_cases, row.overdue_follow_ups, row.referrals_waiting) == (1, 1, 1)
    assert row.arrivals_recent == 1
    content = response.content.decode()
    assert case.number not in content
    assert case.person.full_name not in content
    register_url = url_or_none("intake:register_start")
    if register_url:
        assert register_url not in content


def test_user_without_centres_sees_the_notice(client):
    response = home(client, UserFactory(username="nobody"))
    assert home_part(response).get("caseload") is None
    assert home_part(response).get("overview") is None
    assert "You are not assigned to a reception centre." in response.content.decode()


def test_quick_actions_stay_on_the_caseload(client, caseworker):
    content = home(client, caseworker).content.decode()
    assert reverse("intake:register_start") in content
    assert reverse("intake:arrival_list") in content
    case_list_url = url_or_none("cases:case_list")
    if case_list_url:
        assert f'href="{case_list_url}"' in content


def _populate(n, center, caseworker, colleague, partner):
    for i in range(n):
        assignee = caseworker if i % 2 == 0 else colleague
        arrival = ArrivalFactory(center=center, registered_by=assignee)
        case = open_case(center, assignee, arrival=arrival, restricted=(i % 5 == 4))
        follow_up(case, days=-1)
        follow_up(case, days=5)
        referral(case, partner)
        ArrivalFactory(center=center, registered_by=assignee)


def _count_home_queries(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["caseworker", "supervisor"])
def test_query_count_does_not_grow_with_the_caseload(
    client, role, caseworker, colleague, supervisor, center_a, partner
):
    user = {"caseworker": caseworker, "supervisor": supervisor}[role]
    _populate(2, center_a, caseworker, colleague, partner)
    few = _count_home_queries(client, user)
    _populate(18, center_a, caseworker, colleague, partner)
    many = _count_home_queries(client, user)
    assert few == many
    assert Case.objects.count() == 20


def test_manager_query_count_does_not_grow(client, caseworker, colleague, center_a, partner):
    manager = UserFactory(username="manager")
    assign_perm("registry.view_center_records", manager, center_a)
    _populate(2, center_a, caseworker, colleague, partner)
    few = _count_home_queries(client, manager)
    _populate(18, center_a, caseworker, colleague, partner)
    assert _count_home_queries(client, manager) == few
