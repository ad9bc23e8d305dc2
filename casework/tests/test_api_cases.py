"""The cases API: scope (404), refusals (403), ETag/If-Match, idempotent creates, bad input."""

import datetime
import uuid

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from registry.models import Consent, Partner, Person, ServiceLine
from registry.permissions import forget_center_ids
from registry.tests.factories import PersonFactory, UserFactory, consent_given, country

from ..actions import case_open, follow_up_schedule, goal_add, note_add, referral_create
from ..models import Case, CaseNote, FollowUp, Referral

LIST_URL = "/api/v1/cases/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api_a(caseworker):
    return api(caseworker)


@pytest.fixture
def person(center_a):
    return PersonFactory(centers=[center_a])


@pytest.fixture
def case(caseworker, person, center_a):
    consent_given(
        person, Consent.Kind.FOLLOW_UP_CONTACT, by=caseworker
    )  # follow-ups contact the person
    return case_open(actor=caseworker, person=person, center=center_a).case


@pytest.fixture
def other_case(outsider, center_b):
    person = PersonFactory(centers=[center_b])
    consent_given(person, Consent.Kind.FOLLOW_UP_CONTACT, by=outsider)
    return case_open(actor=outsider, person=person, center=center_b).case


@pytest.fixture
def partner(db):
    partner = Partner.objects.create(
        name="INTECAP", kind=Partner.Kind.GOVERNMENT, country=country("GT")
    )
    partner.service_lines.add(ServiceLine.objects.get(code="vocational_training"))
    return partner


def detail_url(case) -> str:
    return f"/api/v1/cases/{case.pk}/"


def case_body(person_obj, **overrides):
    body = {"client_uuid": str(uuid.uuid4()), "person": str(person_obj.pk), "center": "CA"}
    body.update(overrides)
    return body


# --- list -------------------------------------------------------------------------------------


def test_list_shows_the_users_centres_cases_only(api_a, case, other_case):
    response = api_a.get(LIST_URL)
    assert response.status_code == 200
    numbers = [row["number"] for row in response.json()["results"]]
    assert numbers == [case.number]
    row = response.json()["results"][0]
    assert row["person"]["full_name"] == case.person.full_name
    assert row["center"] == "CA"
    assert row["status"] == "open"
    assert "document_number" not in row["person"]


def test_list_leaves_out_restricted_cases_not_opened_to_the_user(
    caseworker, colleague, person, center_a
):
    case_open(actor=caseworker, person=person, center=center_a, restricted=True)
    assert api(colleague).get(LIST_URL).json()["count"] == 0
    assert api(caseworker).get(LIST_URL).json()["count"] == 1


def test_list_filters_and_searches(api_a, caseworker, colleague, center_a):
    mine = case_open(
        actor=caseworker, person=PersonFactory(centers=[center_a]), center=center_a
    ).case
    theirs = case_open(
        actor=caseworker,
        person=PersonFactory(centers=[center_a], given_names="Rigoberta", first_surname="Tum"),
        center=center_a,
        assigned_to=colleague,
    ).case
    numbers = lambda r: {row["number"] for row in r.json()["results"]}  # noqa: E731
    assert numbers(api_a.get(LIST_URL, {"assigned_to": "me"})) == {mine.number}
    assert numbers(api_a.get(LIST_URL, {"q": "rigoberta"})) == {theirs.number}
    assert numbers(api_a.get(LIST_URL, {"q": theirs.number.lower()})) == {theirs.number}
    assert numbers(api_a.get(LIST_URL, {"status": "closed"})) == set()


@pytest.mark.parametrize(
    "params",
    [
        {"assigned_to": "all"},
        {"status": "archived"},
        {"opened_from": "yesterday"},
        {"ordering": "password"},
    ],
)
def test_bad_filter_values_are_400(api_a, params):
    response = api_a.get(LIST_URL, params)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"opened_from": "9999-12-31"}, "opened_from", "La fecha no puede ser posterior al "),
        ({"opened_to": "0001-01-01"}, "opened_to", "La fecha no puede ser anterior al 01/01/1900."),
        ({"assigned_to": "1.5"}, "assigned_to", 'Use "me", "none" o el'),
        ({"assigned_to": "9223372036854775808"}, "assigned_to", 'Use "me", "none" o el'),
    ],
)
def test_filter_values_out_of_range_are_400_in_spanish(api_a, params, field, message):
    response = api_a.get(LIST_URL, params)

    assert response.status_code == 400
    assert response.json()[field][0].startswith(message)


def test_the_assignee_filter_takes_a_user_id(api_a, caseworker, case):
    def numbers(assigned_to):
        response = api_a.get(LIST_URL, {"assigned_to": assigned_to})
        assert response.status_code == 200
        return [row["number"] for row in response.json()["results"]]

    assert numbers(str(caseworker.pk)) == [case.number]
    assert numbers("9223372036854775807") == []


def test_list_makes_a_fixed_number_of_queries(caseworker, center_a):
    def count_for_list() -> int:
        client = api(caseworker)
        forget_center_ids(caseworker)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(LIST_URL)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        case_open(actor=caseworker, person=PersonFactory(centers=[center_a]), center=center_a)
    with_two = count_for_list()
    for _ in range(18):
        case_open(actor=caseworker, person=PersonFactory(centers=[center_a]), center=center_a)
    with_twenty = count_for_list()
    # the user's centres, the restricted cases opened to them, the count, the page, the page's
    # access entries (one insert)
    assert with_two == with_twenty == 5


# --- open -------------------------------------------------------------------------------------


def test_open_a_case_answers_201_with_an_etag(api_a, caseworker, person):
    response = api_a.post(LIST_URL, case_body(person), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(pk=body["id"])
    assert body["number"] == case.number
    assert body["assigned_to"]["id"] == caseworker.pk
    assert response["ETag"] == '"1"'


def test_replaying_an_opening_answers_200_with_the_same_body(api_a, person):
    body = case_body(person)
    first = api_a.post(LIST_URL, body, format="json")
    again = api_a.post(LIST_URL, body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Case.objects.count() == 1


def test_same_client_uuid_for_another_person_answers_409(api_a, person, center_a):
    body = case_body(person)
    api_a.post(LIST_URL, body, format="json")
    other = PersonFactory(centers=[center_a])
    response = api_a.post(LIST_URL, {**body, "person": str(other.pk)}, format="json")
    assert response.status_code == 409
    assert Case.objects.count() == 1


def test_reusing_another_centres_case_uuid_answers_409_without_data(api_a, other_case, person):
    response = api_a.post(
        LIST_URL, case_body(person, client_uuid=str(other_case.client_uuid)), format="json"
    )
    assert response.status_code == 409
    assert other_case.number not in response.content.decode()


def test_opener_of_a_restricted_case_assigned_to_someone_else_can_replay(api_a, colleague, person):
    body = case_body(person, restricted=True, assigned_to=colleague.pk)
    first = api_a.post(LIST_URL, body, format="json")
    assert first.status_code == 201, first.content
    again = api_a.post(LIST_URL, body, format="json")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert "document_number" not in first.json()["person"]
    assert api_a.get(detail_url(Case.objects.get())).status_code == 404


def test_same_client_uuid_with_restricted_true_answers_409_and_the_case_stays_as_it_was(
    api_a, person
):
    body = case_body(person)
    assert api_a.post(LIST_URL, body, format="json").status_code == 201
    response = api_a.post(LIST_URL, {**body, "restricted": True}, format="json")
    assert response.status_code == 409
    assert not Case.objects.get().restricted
    assert Case.objects.count() == 1


def test_a_colleague_reusing_a_case_uuid_with_the_same_body_answers_409(api_a, colleague, person):
    body = case_body(person, assigned_to=colleague.pk)
    assert api_a.post(LIST_URL, body, format="json").status_code == 201
    response = api(colleague).post(LIST_URL, body, format="json")
    assert response.status_code == 409
    assert Case.objects.get().opened_by != colleague


def test_second_open_case_for_the_person_is_a_field_error(api_a, case, person):
    response = api_a.post(LIST_URL, case_body(person), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"person": ["This person already has an open case at this centre."]}


def test_a_hidden_restricted_case_is_refused_exactly_like_a_visible_open_case(
    caseworker, colleague, center_a
):
    """The one-open-case rule refuses a second case either way; the answer says no more."""
    hidden = PersonFactory(centers=[center_a])
    case_open(actor=caseworker, person=hidden, center=center_a, restricted=True)
    restricted = Case.objects.get(person=hidden)
    shown = PersonFactory(centers=[center_a])
    case_open(actor=caseworker, person=shown, center=center_a)
    client = api(colleague)

    refused_hidden = client.post(LIST_URL, case_body(hidden), format="json")
    refused_shown = client.post(LIST_URL, case_body(shown), format="json")

    assert refused_hidden.status_code == refused_shown.status_code == 400
    assert refused_hidden.json() == refused_shown.json()
    assert restricted.number not in refused_hidden.content.decode()


def test_opening_for_a_person_of_another_centre_reads_as_not_found(api_a, center_b):
    stranger = PersonFactory(centers=[center_b])
    response = api_a.post(LIST_URL, case_body(stranger), format="json")
    assert response.status_code == 400
    assert "person" in response.json()
    assert not Case.objects.exists()


def test_opening_at_another_centre_is_a_field_error(api_a, person):
    response = api_a.post(LIST_URL, case_body(person, center="CB"), format="json")
    assert response.status_code == 400
    assert "center" in response.json()


def test_opening_from_an_arrival_of_the_person(api_a, caseworker, person, center_a):
    from intake.tests.factories import ArrivalFactory

    arrival = ArrivalFactory(person=person, center=center_a, registered_by=caseworker)
    response = api_a.post(LIST_URL, case_body(person, arrival=arrival.pk), format="json")
    assert response.status_code == 201, response.content
    assert Case.objects.get().opened_from_arrival == arrival


def test_opening_from_an_arrival_of_another_centre_is_refused(api_a, person, outsider, center_b):
    from intake.tests.factories import ArrivalFactory

    arrival = ArrivalFactory(center=center_b, registered_by=outsider)
    response = api_a.post(LIST_URL, case_body(person, arrival=arrival.pk), format="json")
    assert response.status_code == 400
    assert "arrival" in response.json()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"person": "not-a-uuid"}, "person"),
        ({"person": str(uuid.uuid4())}, "person"),
        ({"person": 12}, "person"),
        ({"client_uuid": "x"}, "client_uuid"),
        ({"center": ["CA"]}, "center"),
        ({"assigned_to": "abc"}, "assigned_to"),
        ({"assigned_to": 999999}, "assigned_to"),
        ({"arrival": "abc"}, "arrival"),
        ({"restricted": "perhaps"}, "restricted"),
    ],
)
def test_bad_input_is_a_field_error(api_a, person, overrides, field):
    response = api_a.post(LIST_URL, case_body(person, **overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Case.objects.exists()


def test_a_body_that_is_not_an_object_is_400(api_a):
    response = api_a.post(LIST_URL, [1, 2], format="json")
    assert response.status_code == 400


def test_errors_follow_accept_language(api_a, center_b):
    stranger = PersonFactory(centers=[center_b])
    body = case_body(stranger)
    spanish = api_a.post(LIST_URL, body, format="json", HTTP_ACCEPT_LANGUAGE="es")
    english = api_a.post(LIST_URL, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["person"] == ["This person was not found."]
    assert spanish.status_code == english.status_code == 400


def test_anonymous_gets_401_or_403(db, case):
    client = APIClient()
    assert client.get(LIST_URL).status_code in (401, 403)
    assert client.get(detail_url(case)).status_code in (401, 403)


# --- detail, ETag and If-Match ----------------------------------------------------------------


def test_detail_shows_the_person_and_an_etag(api_a, case):
    response = api_a.get(detail_url(case))
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    body = response.json()
    assert body["person"]["document_number"] == case.person.document_number
    assert body["vulnerabilities"] == []


def test_detail_writes_an_access_entry_for_the_person(api_a, caseworker, case):
    api_a.get(detail_url(case))
    entry = LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, object_pk=str(case.person.pk)
    ).get()
    assert entry.actor == caseworker
    assert entry.content_type.model_class() is Person


def test_other_centres_and_restricted_cases_are_404(api_a, colleague, other_case, person, center_a):
    assert api_a.get(detail_url(other_case)).status_code == 404
    restricted = case_open(
        actor=colleague, person=PersonFactory(centers=[center_a]), center=center_a, restricted=True
    ).case
    assert api_a.get(detail_url(restricted)).status_code == 404
    assert api_a.get("/api/v1/cases/999999/").status_code == 404
    assert api_a.get("/api/v1/cases/abc/").status_code == 404


def test_404_cases_leave_no_access_entry(api_a, other_case):
    api_a.get(detail_url(other_case))
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


def test_patch_records_the_assessment_and_answers_the_new_etag(api_a, case):
    response = api_a.patch(
        detail_url(case),
        {"vulnerabilities": ["pregnant"], "economic_needs": "Empleo"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    assert response.json()["vulnerabilities"] == ["pregnant"]
    case.refresh_from_db()
    assert case.economic_needs == "Empleo"
    assert case.assessed_at is not None


def test_patch_accepts_a_weak_etag(api_a, case):
    response = api_a.patch(
        detail_url(case), {"social_needs": "Vivienda"}, format="json", HTTP_IF_MATCH='W/"1"'
    )
    assert response.status_code == 200


def test_patch_without_if_match_is_428(api_a, case):
    response = api_a.patch(detail_url(case), {"social_needs": "x"}, format="json")
    assert response.status_code == 428
    case.refresh_from_db()
    assert case.social_needs == "" and case.version == 1


def test_patch_with_a_stale_etag_is_412_translated_and_changes_nothing(api_a, case):
    first = api_a.patch(
        detail_url(case), {"social_needs": "Vivienda"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert first.status_code == 200
    stale = api_a.patch(
        detail_url(case),
        {"social_needs": "Otra"},
        format="json",
        HTTP_IF_MATCH='"1"',
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert stale.status_code == 412
    assert "Someone else changed this case" in stale.json()["detail"]
    spanish = api_a.patch(
        detail_url(case),
        {"social_needs": "Otra"},
        format="json",
        HTTP_IF_MATCH='"1"',
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert spanish.status_code == 412
    case.refresh_from_db()
    assert case.social_needs == "Vivienda"
    assert case.version == 2


def test_patch_with_a_garbage_etag_is_412(api_a, case):
    response = api_a.patch(
        detail_url(case), {"social_needs": "x"}, format="json", HTTP_IF_MATCH="nonsense"
    )
    assert response.status_code == 412


@pytest.mark.parametrize("action", ["patch", "close"])
def test_if_match_star_is_refused_428_and_changes_nothing(api_a, case, action):
    """RFC 9110's "*" matches any version: it would overwrite a colleague's change unseen."""
    if action == "patch":
        response = api_a.patch(
            detail_url(case), {"social_needs": "x"}, format="json", HTTP_IF_MATCH="*"
        )
    else:
        response = close(api_a, case, etag="*")

    assert response.status_code == 428
    case.refresh_from_db()
    assert case.version == 1 and case.status == Case.Status.OPEN


def test_patch_restricts_the_case_for_its_caseworker(api_a, case, colleague):
    response = api_a.patch(
        detail_url(case), {"restricted": True}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200
    assert response.json()["restricted"] is True
    assert api(colleague).get(detail_url(case)).status_code == 404


def test_patch_restricted_by_a_caseworker_not_assigned_is_403(case, colleague):
    response = api(colleague).patch(
        detail_url(case),
        {"restricted": True},
        format="json",
        HTTP_IF_MATCH='"1"',
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 403
    assert "supervisor" in response.json()["detail"]
    case.refresh_from_db()
    assert not case.restricted


def test_patch_assessment_and_restriction_together_is_all_or_nothing(api_a, case):
    response = api_a.patch(
        detail_url(case),
        {"social_needs": "Vivienda", "restricted": True},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200
    assert response["ETag"] == '"3"'


@pytest.mark.parametrize(
    "body",
    [{}, {"vulnerabilities": ["no-such-code"]}, {"economic_needs": "x" * 2001}, []],
)
def test_patch_bad_input_is_400(api_a, case, body):
    response = api_a.patch(detail_url(case), body, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.version == 1


def test_patch_of_another_centres_case_is_404(api_a, other_case):
    response = api_a.patch(
        detail_url(other_case), {"social_needs": "x"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 404


# --- close, reopen, assign --------------------------------------------------------------------


def close(client, case, etag='"1"', **body):
    body = {"reason": "reintegrated", "note": "Trabajo estable", **body}
    kwargs = {"HTTP_IF_MATCH": etag} if etag else {}
    return client.post(f"{detail_url(case)}close/", body, format="json", **kwargs)


def test_the_caseworker_closes_and_reopens(api_a, case):
    closed = close(api_a, case)
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "closed"
    assert closed.json()["closure_reason"] == "reintegrated"
    assert closed["ETag"] == '"2"'
    reopened = api_a.post(f"{detail_url(case)}reopen/", format="json", HTTP_IF_MATCH='"2"')
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "open"
    assert reopened["ETag"] == '"3"'


def test_closing_needs_if_match(api_a, case):
    assert close(api_a, case, etag=None).status_code == 428
    assert close(api_a, case, etag='"7"').status_code == 412
    case.refresh_from_db()
    assert case.status == "open"


def test_closing_a_closed_case_is_400(api_a, case):
    close(api_a, case)
    response = close(api_a, case, etag='"2"')
    assert response.status_code == 400


def test_closing_with_an_unknown_reason_is_400(api_a, case):
    response = close(api_a, case, reason="bored")
    assert response.status_code == 400
    assert "reason" in response.json()


def test_reopening_an_open_case_is_400(api_a, case):
    response = api_a.post(f"{detail_url(case)}reopen/", format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 400


def test_a_colleague_who_can_see_the_case_is_refused_closing_with_403(case, colleague):
    response = close(api(colleague), case, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert response.json()["detail"]
    case.refresh_from_db()
    assert case.status == "open"


def test_a_supervisor_closes_anyones_case(case, supervisor):
    assert close(api(supervisor), case).status_code == 200


def test_closing_another_centres_case_is_404(api_a, other_case):
    assert close(api_a, other_case).status_code == 404


def test_a_supervisor_assigns_and_a_caseworker_is_refused(case, supervisor, colleague, caseworker):
    url = f"{detail_url(case)}assign/"
    refused = api(caseworker).post(
        url, {"assignee": colleague.pk}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert refused.status_code == 403
    done = api(supervisor).post(url, {"assignee": colleague.pk}, format="json", HTTP_IF_MATCH='"1"')
    assert done.status_code == 200, done.content
    assert done.json()["assigned_to"]["id"] == colleague.pk
    assert done["ETag"] == '"2"'


def test_a_caseworker_working_at_the_centre_through_a_group_can_be_assigned(
    case, supervisor, center_a
):
    """The HTML form offered this person and the API refused them (400): both doors now take
    registry.selectors.center_staff."""
    from guardian.shortcuts import assign_perm

    team = Group.objects.create(name="equipo-sps")
    assign_perm("registry.work_at_center", team, center_a)
    member = UserFactory(username="via_group")
    member.groups.add(team, Group.objects.get(name="caseworker"))

    response = api(supervisor).post(
        f"{detail_url(case)}assign/", {"assignee": member.pk}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.assigned_to == member


def test_assigning_to_a_user_of_another_centre_is_400(case, supervisor, outsider):
    response = api(supervisor).post(
        f"{detail_url(case)}assign/", {"assignee": outsider.pk}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 400
    assert "assignee" in response.json()


def test_reassigning_a_restricted_case_moves_who_can_open_it(
    caseworker, colleague, supervisor, person, center_a
):
    case = case_open(actor=caseworker, person=person, center=center_a, restricted=True).case
    response = api(supervisor).post(
        f"{detail_url(case)}assign/", {"assignee": colleague.pk}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200
    assert api(colleague).get(detail_url(case)).status_code == 200
    assert api(caseworker).get(detail_url(case)).status_code == 404


# --- notes ------------------------------------------------------------------------------------


def notes_url(case) -> str:
    return f"{detail_url(case)}notes/"


def test_add_and_list_notes_idempotently(api_a, case):
    body = {"client_uuid": str(uuid.uuid4()), "text": "Primera entrevista"}
    first = api_a.post(notes_url(case), body, format="json")
    again = api_a.post(notes_url(case), body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    conflict = api_a.post(notes_url(case), {**body, "text": "Otra cosa"}, format="json")
    assert conflict.status_code == 409
    listed = api_a.get(notes_url(case)).json()
    assert [n["text"] for n in listed["results"]] == ["Primera entrevista"]


def test_a_correction_references_the_old_note(api_a, caseworker, case):
    old = note_add(actor=caseworker, case=case, text="Tiene 3 hijos").note
    response = api_a.post(
        notes_url(case),
        {"client_uuid": str(uuid.uuid4()), "text": "Tiene 2 hijos", "corrects": old.pk},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["corrects"] == old.pk
    assert CaseNote.objects.get(pk=old.pk).text == "Tiene 3 hijos"


def test_a_correction_of_another_cases_note_is_400(api_a, caseworker, case, center_a):
    other = case_open(
        actor=caseworker, person=PersonFactory(centers=[center_a]), center=center_a
    ).case
    note = note_add(actor=caseworker, case=other, text="x").note
    response = api_a.post(
        notes_url(case),
        {"client_uuid": str(uuid.uuid4()), "text": "y", "corrects": note.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "corrects" in response.json()


def test_a_note_uuid_of_another_case_is_409(api_a, caseworker, case, other_case, outsider):
    note = note_add(actor=outsider, case=other_case, text="secreto").note
    response = api_a.post(
        notes_url(case), {"client_uuid": str(note.client_uuid), "text": "secreto"}, format="json"
    )
    assert response.status_code == 409
    assert "secreto" not in response.content.decode()


def test_same_note_uuid_with_another_text_answers_409_and_keeps_the_first_text(api_a, case):
    body = {"client_uuid": str(uuid.uuid4()), "text": "Primera entrevista"}
    assert api_a.post(notes_url(case), body, format="json").status_code == 201
    response = api_a.post(notes_url(case), {**body, "text": "Otra cosa"}, format="json")
    assert response.status_code == 409
    assert "Primera entrevista" not in response.content.decode()
    assert [note.text for note in CaseNote.objects.all()] == ["Primera entrevista"]


def test_a_colleague_reusing_a_note_uuid_with_the_same_text_answers_409(api_a, case, colleague):
    body = {"client_uuid": str(uuid.uuid4()), "text": "Primera entrevista"}
    assert api_a.post(notes_url(case), body, format="json").status_code == 201
    response = api(colleague).post(notes_url(case), body, format="json")
    assert response.status_code == 409
    assert CaseNote.objects.get().author != colleague


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_notes_cannot_be_changed_or_deleted_through_the_api(api_a, caseworker, case, method):
    note_add(actor=caseworker, case=case, text="x")
    response = getattr(api_a, method)(notes_url(case), {"text": "y"}, format="json")
    assert response.status_code == 405
    assert CaseNote.objects.get().text == "x"


def test_notes_of_another_centres_case_are_404(api_a, other_case):
    assert api_a.get(notes_url(other_case)).status_code == 404
    response = api_a.post(
        notes_url(other_case), {"client_uuid": str(uuid.uuid4()), "text": "x"}, format="json"
    )
    assert response.status_code == 404
    assert not CaseNote.objects.exists()


def test_programme_manager_reads_but_cannot_write_notes(case, center_a):
    from guardian.shortcuts import assign_perm

    manager = UserFactory(username="manager")
    manager.groups.add(Group.objects.get(name="programme_manager"))
    assign_perm("registry.view_center_records", manager, center_a)
    client = api(manager)
    assert client.get(notes_url(case)).status_code == 200
    response = client.post(
        notes_url(case), {"client_uuid": str(uuid.uuid4()), "text": "x"}, format="json"
    )
    assert response.status_code == 403


# --- referrals --------------------------------------------------------------------------------


def referral_body(partner, **overrides):
    body = {
        "client_uuid": str(uuid.uuid4()),
        "partner": partner.pk,
        "service_line": "vocational_training",
        "reason": "Curso de cocina",
    }
    body.update(overrides)
    return body


def test_referral_without_consent_is_a_translated_field_error(api_a, case, partner):
    response = api_a.post(
        f"{detail_url(case)}referrals/",
        referral_body(partner),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "consent" in response.json()["partner"][0]
    assert not Referral.objects.exists()


def test_referral_with_consent_is_created_once(api_a, caseworker, case, partner):
    Consent.objects.create(
        person=case.person,
        kind=Consent.Kind.SHARE_WITH_PARTNERS,
        granted=True,
        recorded_by=caseworker,
    )
    url = f"{detail_url(case)}referrals/"
    body = referral_body(partner)
    first = api_a.post(url, body, format="json")
    again = api_a.post(url, body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    other_line = api_a.post(url, {**body, "service_line": "job_placement"}, format="json")
    assert other_line.status_code == 409
    assert api_a.get(url).json()["count"] == 1

    status_url = f"/api/v1/referrals/{first.json()['id']}/status/"
    accepted = api_a.post(status_url, {"status": "accepted"}, format="json")
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    refused = api_a.post(status_url, {"status": "pending"}, format="json")
    assert refused.status_code == 400
    assert "status" in refused.json()


def test_same_referral_uuid_with_another_reason_answers_409(api_a, caseworker, case, partner):
    share_consent(case, caseworker)
    url = f"{detail_url(case)}referrals/"
    body = referral_body(partner)
    assert api_a.post(url, body, format="json").status_code == 201
    response = api_a.post(url, {**body, "reason": "Curso de panadería"}, format="json")
    assert response.status_code == 409
    assert [r.reason for r in Referral.objects.all()] == ["Curso de cocina"]


def share_consent(case, recorded_by) -> None:
    Consent.objects.create(
        person=case.person,
        kind=Consent.Kind.SHARE_WITH_PARTNERS,
        granted=True,
        recorded_by=recorded_by,
    )


def test_referral_to_a_partner_lacking_the_service_is_400(api_a, caseworker, case, partner):
    Consent.objects.create(
        person=case.person,
        kind=Consent.Kind.SHARE_WITH_PARTNERS,
        granted=True,
        recorded_by=caseworker,
    )
    response = api_a.post(
        f"{detail_url(case)}referrals/",
        referral_body(partner, service_line="job_placement"),
        format="json",
    )
    assert response.status_code == 400
    assert "service_line" in response.json()


def test_referral_to_a_partner_of_another_country_is_400(api_a, caseworker, case):
    Consent.objects.create(
        person=case.person,
        kind=Consent.Kind.SHARE_WITH_PARTNERS,
        granted=True,
        recorded_by=caseworker,
    )
    honduran = Partner.objects.create(
        name="INFOP", kind=Partner.Kind.GOVERNMENT, country=country("HN")
    )
    honduran.service_lines.add(ServiceLine.objects.get(code="vocational_training"))

    response = api_a.post(
        f"{detail_url(case)}referrals/",
        referral_body(honduran),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json() == {"partner": ["Choose a partner organisation."]}
    assert not Referral.objects.exists()


def test_another_centres_referral_is_404(api_a, outsider, other_case, partner):
    Consent.objects.create(
        person=other_case.person,
        kind=Consent.Kind.SHARE_WITH_PARTNERS,
        granted=True,
        recorded_by=outsider,
    )
    referral = referral_create(
        actor=outsider,
        case=other_case,
        partner=partner,
        service_line=ServiceLine.objects.get(code="vocational_training"),
    ).referral
    response = api_a.post(
        f"/api/v1/referrals/{referral.pk}/status/", {"status": "accepted"}, format="json"
    )
    assert response.status_code == 404
    assert Referral.objects.get(pk=referral.pk).status == "pending"


# --- follow-ups -------------------------------------------------------------------------------


def test_schedule_and_complete_a_follow_up(api_a, case):
    url = f"{detail_url(case)}follow-ups/"
    created = api_a.post(url, {"due_date": "2020-01-01", "purpose": "Llamada"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["overdue"] is True
    listed = api_a.get(url).json()["results"]
    assert [f["purpose"] for f in listed] == ["Llamada"]
    done = api_a.post(
        f"/api/v1/follow-ups/{created.json()['id']}/complete/",
        {"outcome": "reached", "outcome_note": "Bien"},
        format="json",
    )
    assert done.status_code == 200
    assert done.json()["overdue"] is False
    twice = api_a.post(
        f"/api/v1/follow-ups/{created.json()['id']}/complete/",
        {"outcome": "reached"},
        format="json",
    )
    assert twice.status_code == 400


@pytest.mark.parametrize("body", [{"due_date": "soon"}, {}, {"due_date": "2026-02-30"}])
def test_follow_up_bad_input_is_400(api_a, case, body):
    response = api_a.post(f"{detail_url(case)}follow-ups/", body, format="json")
    assert response.status_code == 400
    assert not FollowUp.objects.exists()


@pytest.mark.parametrize(
    ("due_date", "message"),
    [
        ("0001-01-01", "La fecha no puede ser anterior al 01/01/2000."),
        ("9999-12-31", "La fecha no puede ser posterior al "),
    ],
)
def test_a_due_date_out_of_range_is_400_in_spanish_and_writes_nothing(
    api_a, case, due_date, message
):
    response = api_a.post(f"{detail_url(case)}follow-ups/", {"due_date": due_date}, format="json")

    assert response.status_code == 400
    assert response.json()["due_date"][0].startswith(message)
    assert not FollowUp.objects.exists()


def test_completing_with_an_unknown_outcome_is_400(api_a, caseworker, case):
    follow_up = follow_up_schedule(actor=caseworker, case=case, due_date=datetime.date(2026, 1, 1))
    response = api_a.post(
        f"/api/v1/follow-ups/{follow_up.pk}/complete/", {"outcome": "great"}, format="json"
    )
    assert response.status_code == 400
    assert "outcome" in response.json()


def test_another_centres_follow_up_is_404(api_a, outsider, other_case):
    follow_up = follow_up_schedule(
        actor=outsider, case=other_case, due_date=datetime.date(2026, 1, 1)
    )
    response = api_a.post(
        f"/api/v1/follow-ups/{follow_up.pk}/complete/", {"outcome": "reached"}, format="json"
    )
    assert response.status_code == 404
    assert api_a.get(f"{detail_url(other_case)}follow-ups/").status_code == 404


# --- goals ------------------------------------------------------------------------------------


def progress_url(goal_id) -> str:
    return f"/api/v1/goals/{goal_id}/progress/"


def test_add_a_goal_and_record_progress(api_a, case):
    url = f"{detail_url(case)}goals/"
    created = api_a.post(
        url, {"dimension": "economic", "description": "Abrir una tienda"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created["ETag"] == '"1"'
    assert created.json()["version"] == 1
    progress = api_a.post(
        progress_url(created.json()["id"]),
        {"progress": "in_progress"},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )
    assert progress.status_code == 200
    assert progress.json()["progress"] == "in_progress"
    assert progress.json()["version"] == 2
    assert progress["ETag"] == '"2"'
    assert api_a.get(url).json()["results"][0]["version"] == 2


def test_goal_progress_without_if_match_is_428(api_a, caseworker, case):
    goal = goal_add(actor=caseworker, case=case, dimension="social", description="Vivienda")
    response = api_a.post(progress_url(goal.pk), {"progress": "achieved"}, format="json")
    assert response.status_code == 428
    goal.refresh_from_db()
    assert (goal.progress, goal.version) == ("not_started", 1)


def test_goal_progress_from_a_stale_version_is_412_and_keeps_the_other_change(
    api_a, caseworker, colleague, case
):
    goal = goal_add(actor=caseworker, case=case, dimension="social", description="Vivienda")
    # A colleague saved first, from the same version the caseworker read.
    first = api(colleague).post(
        progress_url(goal.pk), {"progress": "achieved"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert first.status_code == 200
    response = api_a.post(
        progress_url(goal.pk),
        {"progress": "dropped"},
        format="json",
        HTTP_IF_MATCH='"1"',
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 412
    assert "Someone else changed this goal" in response.json()["detail"]
    goal.refresh_from_db()
    assert (goal.progress, goal.version) == ("achieved", 2)


def test_goal_bad_input_and_scope(api_a, outsider, case, other_case):
    bad = api_a.post(
        f"{detail_url(case)}goals/", {"dimension": "spiritual", "description": "x"}, format="json"
    )
    assert bad.status_code == 400
    assert "dimension" in bad.json()
    goal = goal_add(actor=outsider, case=other_case, dimension="social", description="y")
    response = api_a.post(
        progress_url(goal.pk), {"progress": "achieved"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("target_date", "message"),
    [
        ("0001-01-01", "La fecha no puede ser anterior al 01/01/2000."),
        ("9999-12-31", "La fecha no puede ser posterior al "),
    ],
)
def test_a_target_date_out_of_range_is_400_in_spanish_and_writes_nothing(
    api_a, case, target_date, message
):
    body = {"dimension": "economic", "description": "x", "target_date": target_date}

    response = api_a.post(f"{detail_url(case)}goals/", body, format="json")

    assert response.status_code == 400
    assert response.json()["target_date"][0].startswith(message)
    assert not case.goals.exists()


def test_goals_of_a_closed_case_are_refused(api_a, case):
    close(api_a, case)
    response = api_a.post(
        f"{detail_url(case)}goals/", {"dimension": "economic", "description": "x"}, format="json"
    )
    assert response.status_code == 400
