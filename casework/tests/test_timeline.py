"""The timeline on the person page: arrivals, cases, notes, referrals and follow-ups, newest
first, within the viewer's scope only."""

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from intake.tests.factories import ArrivalFactory
from registry.models import ClosureReason, Partner, ServiceLine
from registry.person_page import person_timeline
from registry.tests.factories import PersonFactory, UserFactory, country

from ..actions import case_close, case_open
from ..models import CaseNote, FollowUp, Referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(center_a, center_b):
    return PersonFactory(given_names="Dania", first_surname="Zelaya", centers=[center_a, center_b])


@pytest.fixture
def partner(db):
    partner = Partner.objects.create(
        name="INTECAP", kind=Partner.Kind.GOVERNMENT, country=country("GT")
    )
    partner.service_lines.add(ServiceLine.objects.get(code="vocational_training"))
    return partner


def at(day, hour=12):
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def note(case, text, when):
    return CaseNote.objects.create(case=case, text=text, author=case.assigned_to, created_at=when)


def page(client, user, person):
    client.force_login(user)
    return client.get(reverse("person_detail", args=[person.pk]), HTTP_ACCEPT_LANGUAGE="en")


def test_entries_of_every_kind_newest_first(caseworker, center_a, person, partner):
    arrival = ArrivalFactory(person=person, center=center_a, arrived_at=at(1))
    case = case_open(actor=caseworker, person=person, center=center_a, arrival=arrival).case
    case.opened_at = at(2)
    case.save(update_fields=["opened_at"])
    note(case, "Primera entrevista", at(3))
    Referral.objects.create(
        case=case,
        partner=partner,
        service_line=partner.service_lines.first(),
        referred_by=caseworker,
        referred_at=at(4),
    )
    FollowUp.objects.create(
        case=case,
        due_date=at(5).date(),
        done_at=at(6),
        outcome=FollowUp.Outcome.REACHED,
        created_by=caseworker,
    )
    FollowUp.objects.create(case=case, due_date=at(20).date(), created_by=caseworker)

    timeline = person_timeline(user=caseworker, person=person)

    assert [e.kind for e in timeline] == [
        "follow_up_due",
        "follow_up_done",
        "referral",
        "note",
        "case_opened",
        "arrival",
    ]
    assert [e.when for e in timeline] == sorted((e.when for e in timeline), reverse=True)
    assert timeline[3].text == "Primera entrevista"
    assert "INTECAP" in timeline[2].text
    assert timeline[-1].url_name == "intake:arrival_detail"
    assert timeline[-1].url_arg == arrival.pk
    assert {e.url_arg for e in timeline[:-1]} == {case.pk}


def test_closed_case_shows_its_closure(caseworker, center_a, person):
    case = case_open(actor=caseworker, person=person, center=center_a).case
    case_close(
        actor=caseworker,
        case=case,
        reason=ClosureReason.objects.get(code="reintegrated"),
        expected_version=case.version,
    )
    kinds = [e.kind for e in person_timeline(user=caseworker, person=person)]
    assert kinds == ["case_closed", "case_opened"]


def test_dates_are_in_the_centres_time_zone(caseworker, center_a, person):
    # 03:00 UTC on 10 March is 21:00 on 9 March in Guatemala.
    ArrivalFactory(person=person, center=center_a, arrived_at=at(10, hour=3))
    (entry,) = person_timeline(user=caseworker, person=person)
    assert (entry.when.day, entry.when.hour) == (9, 21)
    assert entry.time_zone == "America/Guatemala"


def test_page_shows_timeline_with_links(client, caseworker, center_a, person):
    arrival = ArrivalFactory(person=person, center=center_a)
    case = case_open(actor=caseworker, person=person, center=center_a, arrival=arrival).case
    note(case, "Llamada a la familia", timezone.now())

    response = page(client, caseworker, person)

    content = response.content.decode()
    assert response.status_code == 200
    assert "Timeline" in content
    assert "Llamada a la familia" in content
    assert case.number in content
    assert reverse("intake:arrival_detail", args=[arrival.pk]) in content
    with contextlib.suppress(NoReverseMatch):
        assert reverse("cases:case_detail", args=[case.pk]) in content
    # The existing content of the page is still there.
    assert "Consents in force" in content
    assert "Arrivals at your centres" in content


def test_other_centres_records_are_left_out(caseworker, outsider, center_a, center_b, person):
    mine = ArrivalFactory(person=person, center=center_a)
    ArrivalFactory(person=person, center=center_b)
    other_case = case_open(actor=outsider, person=person, center=center_b).case
    note(other_case, "Nota del centro B", timezone.now())

    timeline = person_timeline(user=caseworker, person=person)

    assert [(e.kind, e.url_arg) for e in timeline] == [("arrival", mine.pk)]


def test_restricted_case_and_its_notes_are_hidden_from_a_colleague(
    client, caseworker, colleague, center_a, person
):
    restricted = case_open(actor=caseworker, person=person, center=center_a, restricted=True).case
    note(restricted, "Sobreviviente de violencia", timezone.now())
    FollowUp.objects.create(
        case=restricted, due_date=timezone.localdate() + timedelta(days=3), created_by=caseworker
    )

    assert person_timeline(user=colleague, person=person) == []
    content = page(client, colleague, person).content.decode()
    assert "Sobreviviente de violencia" not in content
    assert restricted.number not in content
    # ...and shown to the caseworker it was opened to.
    kinds = {e.kind for e in person_timeline(user=caseworker, person=person)}
    assert kinds == {"case_opened", "note", "follow_up_due"}


def test_outsider_gets_404(client, center_b, center_a):
    person = PersonFactory(centers=[center_a])
    assert page(client, UserFactory(username="far", centers=[center_b]), person).status_code == 404


def _add_items(n, *, caseworker, center, person, partner):
    for _ in range(n):
        ArrivalFactory(person=person, center=center)
        case = case_open(actor=caseworker, person=person, center=center).case
        note(case, "Nota", timezone.now())
        Referral.objects.create(
            case=case,
            partner=partner,
            service_line=partner.service_lines.first(),
            referred_by=caseworker,
        )
        FollowUp.objects.create(case=case, due_date=timezone.localdate(), created_by=caseworker)
        FollowUp.objects.create(
            case=case,
            due_date=timezone.localdate(),
            created_by=caseworker,
            done_at=timezone.now(),
            outcome=FollowUp.Outcome.REACHED,
        )
        case_close(
            actor=caseworker,
            case=case,
            reason=ClosureReason.objects.get(code="reintegrated"),
            expected_version=case.version,
        )


def _count(client, user, person):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("person_detail", args=[person.pk])).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_timeline(client, caseworker, center_a, person, partner):
    kwargs = {"caseworker": caseworker, "center": center_a, "person": person, "partner": partner}
    _add_items(1, **kwargs)
    few = _count(client, caseworker, person)
    _add_items(4, **kwargs)
    assert len(person_timeline(user=caseworker, person=person)) == 5 * 7
    assert _count(client, caseworker, person) == few
