"""Case reads: scope (centre, restricted), lookup that answers 404, search, child lists."""

import datetime

import pytest
from django.http import Http404

from registry.models import ClosureReason, Consent
from registry.tests.factories import PersonFactory, consent_given

from ..actions import case_close, case_open, follow_up_schedule, note_add
from ..filters import CaseFilter
from ..models import FollowUp
from ..selectors import (
    case_get,
    case_list,
    case_search,
    follow_up_get,
    follow_up_list,
    follow_ups_for_case,
    notes_for_case,
    overdue_follow_ups,
)


def open_case(actor, center, **kwargs):
    person_fields = {
        key: kwargs.pop(key) for key in list(kwargs) if key in ("given_names", "phone")
    }
    person_fields.update({key: kwargs.pop(key) for key in list(kwargs) if key.endswith("surname")})
    if "document_number" in kwargs:
        person_fields["document_number"] = kwargs.pop("document_number")
    person = PersonFactory(centers=[center], **person_fields)
    consent_given(person, Consent.Kind.FOLLOW_UP_CONTACT, by=actor)
    return case_open(actor=actor, person=person, center=center, **kwargs).case


def test_case_get_returns_a_case_of_the_users_centre(caseworker, center_a):
    case = open_case(caseworker, center_a)
    found = case_get(user=caseworker, case_id=case.pk)
    assert found == case


@pytest.mark.parametrize("case_id", [999999, "abc", None, "1; DROP TABLE", -1])
def test_case_get_answers_404_for_missing_or_malformed_ids(caseworker, case_id):
    with pytest.raises(Http404):
        case_get(user=caseworker, case_id=case_id)


def test_case_get_answers_404_for_another_centres_case(caseworker, outsider, center_b):
    other = open_case(outsider, center_b)
    with pytest.raises(Http404):
        case_get(user=caseworker, case_id=other.pk)
    assert other not in case_list(user=caseworker)


def test_restricted_case_is_found_by_its_caseworker_and_supervisor_only(
    caseworker, colleague, supervisor, center_a
):
    case = open_case(caseworker, center_a, restricted=True)
    assert case_get(user=caseworker, case_id=case.pk) == case
    assert case_get(user=supervisor, case_id=case.pk) == case
    with pytest.raises(Http404):
        case_get(user=colleague, case_id=case.pk)
    assert case not in case_list(user=colleague)


def test_anonymous_user_has_no_cases(caseworker, center_a):
    from django.contrib.auth.models import AnonymousUser

    open_case(caseworker, center_a)
    assert not case_list(user=AnonymousUser()).exists()


def test_case_list_makes_one_query_whatever_the_rows(
    caseworker, center_a, django_assert_num_queries
):
    for _ in range(3):
        open_case(caseworker, center_a)
    list(case_list(user=caseworker))  # resolves and caches the user's centres
    with django_assert_num_queries(1):
        for case in case_list(user=caseworker):
            _ = (case.person.full_name, case.center.code, case.assigned_to.username)


# --- search -----------------------------------------------------------------------------------


@pytest.fixture
def cases(caseworker, center_a):
    return {
        "maria": open_case(
            caseworker,
            center_a,
            given_names="María José",
            first_surname="Hernández",
            second_surname="López",
            phone="+502 5555-1234",
            document_number="P12345678",
        ),
        "juan": open_case(
            caseworker,
            center_a,
            given_names="Juan",
            first_surname="García",
            second_surname="Pérez",
            phone="4444 9876",
            document_number="P99990000",
        ),
    }


def search(user, text):
    return set(case_search(case_list(user=user), text))


def test_search_by_exact_case_number_case_insensitive(caseworker, cases):
    maria = cases["maria"]
    assert search(caseworker, maria.number) == {maria}
    assert search(caseworker, maria.number.lower()) == {maria}


def test_a_full_case_number_does_not_match_names_by_its_centre_code(caseworker, center_a):
    first = open_case(caseworker, center_a, first_surname="Castillo")
    second = open_case(caseworker, center_a, first_surname="Castillo")
    assert search(caseworker, first.number) == {first}
    assert search(caseworker, second.number) == {second}


def test_search_by_case_number_prefix(caseworker, cases):
    prefix = cases["maria"].number.rsplit("-", 1)[0]  # CA-2026
    assert search(caseworker, prefix) == set(cases.values())
    assert search(caseworker, "ca") == set(cases.values())


def test_search_by_name_is_spanish_aware(caseworker, cases):
    assert search(caseworker, "Ernandez") == {cases["maria"]}
    assert search(caseworker, "maria jose") == {cases["maria"]}
    assert search(caseworker, "garcia perez") == {cases["juan"]}


def test_search_by_document_number(caseworker, cases):
    assert search(caseworker, "P9999-0000") == {cases["juan"]}


def test_search_by_phone_compares_digits_only(caseworker, cases):
    assert search(caseworker, "55551234") == {cases["maria"]}
    assert search(caseworker, "5555-1234") == {cases["maria"]}
    assert search(caseworker, "+502 55551234") == {cases["maria"]}
    assert search(caseworker, "(444) 49876") == {cases["juan"]}


def test_search_with_nothing_matching_is_empty(caseworker, cases):
    assert search(caseworker, "Zzyzx") == set()
    assert search(caseworker, "%") == set()


def test_blank_search_leaves_the_list_alone(caseworker, cases):
    assert search(caseworker, "  ") == set(cases.values())


def test_search_never_reaches_other_centres(caseworker, outsider, center_b, cases):
    other = open_case(outsider, center_b, given_names="María José", first_surname="Hernández")
    assert other not in search(caseworker, "Hernández")
    assert other not in search(caseworker, other.number)


# --- the FilterSet ----------------------------------------------------------------------------


class FakeRequest:
    def __init__(self, user):
        self.user = user


def filtered(user, **params):
    filterset = CaseFilter(params, queryset=case_list(user=user), request=FakeRequest(user))
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs)


def test_filter_by_assignee_me_and_id(caseworker, colleague, center_a):
    mine = open_case(caseworker, center_a)
    theirs = open_case(caseworker, center_a, assigned_to=colleague)
    assert filtered(caseworker, assigned_to="me") == {mine}
    assert filtered(caseworker, assigned_to=str(colleague.pk)) == {theirs}
    assert filtered(colleague, assigned_to="me") == {theirs}


def test_filter_by_status_restricted_centre_and_dates(caseworker, center_a):
    open_one = open_case(caseworker, center_a)
    closed = open_case(caseworker, center_a, restricted=True)
    case_close(
        actor=caseworker,
        case=closed,
        reason=ClosureReason.objects.get(code="reintegrated"),
        expected_version=closed.version,
    )
    assert filtered(caseworker, status="open") == {open_one}
    assert filtered(caseworker, status="closed") == {closed}
    assert filtered(caseworker, restricted="true") == {closed}
    assert filtered(caseworker, center="CA") == {open_one, closed}
    assert filtered(caseworker, center="CB") == set()
    today = open_one.opened_at.astimezone(center_a.tzinfo).date()
    assert filtered(caseworker, opened_from=today.isoformat()) == {open_one, closed}
    tomorrow = today + datetime.timedelta(days=1)
    assert filtered(caseworker, opened_from=tomorrow.isoformat()) == set()
    assert filtered(caseworker, opened_to=today.isoformat()) == {open_one, closed}


def test_filter_refuses_a_bad_assignee_value(caseworker):
    filterset = CaseFilter(
        {"assigned_to": "everyone"}, queryset=case_list(user=caseworker), request=None
    )
    assert not filterset.is_valid()
    assert "assigned_to" in filterset.errors


# --- what hangs off a case --------------------------------------------------------------------


def test_notes_come_in_writing_order_with_their_author(caseworker, center_a):
    case = open_case(caseworker, center_a)
    first = note_add(actor=caseworker, case=case, text="uno").note
    second = note_add(actor=caseworker, case=case, text="dos", corrects=first).note
    notes = list(notes_for_case(case))
    assert notes == [first, second]
    assert notes[1].corrects == first


def test_overdue_follow_ups(caseworker, center_a):
    case = open_case(caseworker, center_a)
    late = follow_up_schedule(actor=caseworker, case=case, due_date=datetime.date(2026, 1, 1))
    follow_up_schedule(actor=caseworker, case=case, due_date=datetime.date(2026, 6, 1))
    today = datetime.date(2026, 3, 1)
    assert list(overdue_follow_ups(follow_ups_for_case(case), today)) == [late]


def test_follow_ups_of_other_centres_are_out_of_reach(caseworker, outsider, center_b):
    other_case = open_case(outsider, center_b)
    other = follow_up_schedule(actor=outsider, case=other_case, due_date=datetime.date(2026, 1, 1))
    assert other not in follow_up_list(user=caseworker)
    with pytest.raises(Http404):
        follow_up_get(user=caseworker, follow_up_id=other.pk)
    assert FollowUp.objects.filter(pk=other.pk).exists()
