"""The case pages: opening a case, the case page and its write forms, the case list."""

import uuid
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from intake.tests.factories import ArrivalFactory
from registry import actions as registry_actions
from registry.models import (
    ClosureReason,
    Consent,
    Partner,
    ServiceLine,
    VulnerabilityCategory,
)
from registry.tests.factories import PersonFactory, UserFactory, consent_given, country

from .. import actions
from ..models import Case, CaseNote, FollowUp, Referral

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def person(center_a):
    return PersonFactory(given_names="Ana Lucía", first_surname="García", centers=[center_a])


@pytest.fixture
def arrival(person, center_a, caseworker):
    return ArrivalFactory(
        person=person,
        center=center_a,
        registered_by=caseworker,
        arrived_at=timezone.now() - timedelta(hours=2),
    )


@pytest.fixture
def case(person, center_a, caseworker, arrival):
    consent_given(
        person, Consent.Kind.FOLLOW_UP_CONTACT, by=caseworker
    )  # follow-ups contact the person
    return actions.case_open(actor=caseworker, person=person, center=center_a, arrival=arrival).case


@pytest.fixture
def partner():
    partner = Partner.objects.create(
        name="INTECAP", kind=Partner.Kind.GOVERNMENT, country=country("GT")
    )
    partner.service_lines.add(ServiceLine.objects.get(code="vocational_training"))
    return partner


def detail(case) -> str:
    return reverse("cases:case_detail", kwargs={"pk": case.pk})


def post(client, name, case, data=None, **kwargs):
    url = reverse(f"cases:{name}", kwargs={"pk": case.pk, **kwargs})
    return client.post(url, data or {}, **EN)


# --- Opening a case ---------------------------------------------------------------------------


def test_open_from_arrival_shows_the_person_and_opens_the_case(client_a, arrival, caseworker):
    url = reverse("cases:case_open") + f"?arrival={arrival.pk}"

    page = client_a.get(url, **EN)
    assert page.status_code == 200
    assert "Ana Lucía García" in page.content.decode()
    form = page.context["form"]
    assert form.initial["assigned_to"] == caseworker.pk

    response = client_a.post(
        url,
        {
            "center": arrival.center_id,
            "assigned_to": caseworker.pk,
            "client_uuid": str(form.initial["client_uuid"]),
        },
        **EN,
    )

    case = Case.objects.get(person=arrival.person)
    assert response.status_code == 302
    assert response.url == detail(case)
    assert case.opened_from_arrival == arrival
    assert case.assigned_to == caseworker
    assert not case.restricted


@pytest.mark.parametrize("by", ["arrival", "person"])
def test_the_open_a_case_page_logs_one_access_to_the_person(by, client_a, arrival, caseworker):
    subject = arrival if by == "arrival" else arrival.person
    LogEntry.objects.filter(action=LogEntry.Action.ACCESS).delete()

    assert client_a.get(reverse("cases:case_open"), {by: subject.pk}).status_code == 200

    logged = LogEntry.objects.get_for_object(arrival.person).filter(action=LogEntry.Action.ACCESS)
    assert [entry.actor for entry in logged] == [caseworker]


def test_double_submit_opens_one_case(client_a, arrival, caseworker):
    url = reverse("cases:case_open") + f"?arrival={arrival.pk}"
    data = {
        "center": arrival.center_id,
        "assigned_to": caseworker.pk,
        "client_uuid": str(uuid.uuid4()),
        "restricted": "on",
    }

    first = client_a.post(url, data, **EN)
    second = client_a.post(url, data, **EN)

    assert Case.objects.filter(person=arrival.person).count() == 1
    assert first.url == second.url
    assert Case.objects.get(person=arrival.person).restricted


def test_second_open_case_is_refused_with_a_link(client_a, case, arrival, caseworker):
    url = reverse("cases:case_open") + f"?arrival={arrival.pk}"

    page = client_a.get(url, **EN)
    response = client_a.post(
        url,
        {
            "center": arrival.center_id,
            "assigned_to": caseworker.pk,
            "client_uuid": str(uuid.uuid4()),
        },
        **EN,
    )

    assert "already has an open case" in page.content.decode()
    assert detail(case) in page.content.decode()
    assert response.status_code == 200
    assert "already has an open case" in response.content.decode()
    assert Case.objects.filter(person=arrival.person).count() == 1


def test_a_hidden_restricted_case_is_refused_in_the_same_words_as_a_visible_one(
    client, caseworker, colleague, center_a
):
    hidden = PersonFactory(centers=[center_a])
    restricted = actions.case_open(
        actor=caseworker, person=hidden, center=center_a, restricted=True
    ).case
    shown = PersonFactory(centers=[center_a])
    actions.case_open(actor=caseworker, person=shown, center=center_a)
    client.force_login(colleague)

    def refusal(person):
        response = client.post(
            reverse("cases:case_open") + f"?person={person.pk}",
            {"center": center_a.pk, "assigned_to": colleague.pk, "client_uuid": uuid.uuid4()},
            **EN,
        )
        assert response.status_code == 200
        return response

    hidden_page = refusal(hidden)
    assert hidden_page.context["form"].non_field_errors() == (
        refusal(shown).context["form"].non_field_errors()
    )
    assert hidden_page.context["form"].non_field_errors() == [
        "This person already has an open case at this centre."
    ]
    assert restricted.number not in hidden_page.content.decode()
    assert Case.objects.filter(person=hidden).count() == 1


def test_open_from_person_page(client_a, person, caseworker):
    url = reverse("cases:case_open") + f"?person={person.pk}"

    response = client_a.post(
        url,
        {
            "center": person.center_links.get().center_id,
            "assigned_to": caseworker.pk,
            "client_uuid": str(uuid.uuid4()),
        },
        **EN,
    )

    assert response.status_code == 302
    assert Case.objects.get(person=person).opened_from_arrival is None


def test_assignee_must_work_at_the_centre(client_a, arrival, outsider):
    url = reverse("cases:case_open") + f"?arrival={arrival.pk}"

    response = client_a.post(
        url,
        {"center": arrival.center_id, "assigned_to": outsider.pk, "client_uuid": str(uuid.uuid4())},
        **EN,
    )

    assert response.status_code == 200
    assert response.context["form"].errors["assigned_to"]
    assert not Case.objects.exists()


def test_outsider_cannot_open_from_other_centres_arrival_or_person(client, outsider, arrival):
    client.force_login(outsider)
    base = reverse("cases:case_open")

    assert client.get(f"{base}?arrival={arrival.pk}").status_code == 404
    assert client.get(f"{base}?person={arrival.person_id}").status_code == 404
    assert client.get(f"{base}?arrival=x").status_code == 404
    assert client.get(base).status_code == 404
    response = client.post(
        f"{base}?arrival={arrival.pk}",
        {"center": arrival.center_id, "assigned_to": outsider.pk, "client_uuid": str(uuid.uuid4())},
    )
    assert response.status_code == 404
    assert not Case.objects.exists()


def test_arrival_page_links_to_open_a_case(client, caseworker, arrival):
    caseworker.groups.add(Group.objects.get(name="caseworker"))
    client.force_login(caseworker)

    page = client.get(reverse("intake:arrival_detail", kwargs={"pk": arrival.pk}), **EN)

    assert f"{reverse('cases:case_open')}?arrival={arrival.pk}" in page.content.decode()


# --- Seeing a case ----------------------------------------------------------------------------


def test_detail_shows_the_case_and_writes_an_access_entry(client_a, case):
    before = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count()

    page = client_a.get(detail(case), **EN)

    content = page.content.decode()
    assert page.status_code == 200
    assert case.number in content
    assert reverse("person_detail", kwargs={"person_id": case.person_id}) in content
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count() == before + 1


def test_returns_since_opening_are_listed(client_a, case, person, center_a, center_b):
    ArrivalFactory(person=person, center=center_a, arrived_at=timezone.now() + timedelta(days=1))
    ArrivalFactory(person=person, center=center_b, arrived_at=timezone.now() + timedelta(days=2))

    page = client_a.get(detail(case), **EN)

    assert len(page.context["returns"]) == 1
    assert "Returned again on" in page.content.decode()


def test_login_required(client, case):
    response = client.get(detail(case))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


WRITES = [
    ("case_assess", {"economic_needs": "x", "version": 1}),
    ("note_add", {"text": "x", "client_uuid": str(uuid.uuid4())}),
    ("goal_add", {"dimension": "economic", "description": "x"}),
    ("referral_add", {"reason": "x", "client_uuid": str(uuid.uuid4())}),
    ("follow_up_add", {"due_date": "2030-01-01"}),
    ("follow_ups_default", {}),
    ("case_close", {"note": "x", "version": 1}),
    ("case_reopen", {"version": 1}),
    ("case_assign", {"version": 1}),
    ("case_restrict", {"restricted": "1", "version": 1}),
]


def test_outsider_gets_404_on_detail_and_every_write(client, outsider, case, caseworker):
    goal = actions.goal_add(actor=caseworker, case=case, dimension="social", description="g")
    follow_up = actions.follow_up_schedule(
        actor=caseworker, case=case, due_date=timezone.localdate()
    )
    Consent.objects.create(
        person=case.person, kind="share_with_partners", granted=True, recorded_by=caseworker
    )
    line = ServiceLine.objects.get(code="legal_assistance")
    partner = Partner.objects.create(name="P", kind="ngo", country=country("GT"))
    partner.service_lines.add(line)
    referral = actions.referral_create(
        actor=caseworker, case=case, partner=partner, service_line=line
    ).referral
    client.force_login(outsider)

    assert client.get(detail(case)).status_code == 404
    for name, data in WRITES:
        assert post(client, name, case, data).status_code == 404, name
    assert post(client, "goal_progress", case, {}, goal_id=goal.pk).status_code == 404
    assert post(client, "referral_status", case, {}, referral_id=referral.pk).status_code == 404
    assert post(client, "follow_up_done", case, {}, follow_up_id=follow_up.pk).status_code == 404

    case.refresh_from_db()
    assert case.version == 1
    assert case.economic_needs == ""
    assert not case.notes.exists()
    assert case.goals.count() == 1
    assert case.follow_ups.count() == 1


def test_restricted_case_is_404_for_a_colleague(client, colleague, caseworker, supervisor, case):
    actions.case_set_restricted(
        actor=caseworker, case=case, restricted=True, expected_version=case.version
    )
    client.force_login(colleague)

    assert client.get(detail(case)).status_code == 404
    assert (
        post(client, "note_add", case, {"text": "x", "client_uuid": uuid.uuid4()}).status_code
        == 404
    )
    assert (
        reverse("cases:case_list")
        and case.number not in client.get(reverse("cases:case_list")).content.decode()
    )
    assert not case.notes.exists()

    client.force_login(caseworker)
    assert client.get(detail(case)).status_code == 200
    client.force_login(supervisor)
    assert client.get(detail(case)).status_code == 200


def test_colleague_may_not_close_someone_elses_case(client, colleague, case):
    client.force_login(colleague)
    reason = ClosureReason.objects.get(code="reintegrated")

    response = post(client, "case_close", case, {"reason": reason.pk, "version": case.version})

    assert response.status_code == 403
    assert "Only the assigned caseworker or a supervisor" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN


# --- Writing ----------------------------------------------------------------------------------


def test_assess_saves_vulnerabilities_and_needs(client_a, case):
    pregnant = VulnerabilityCategory.objects.get(code="pregnant")

    response = post(
        client_a,
        "case_assess",
        case,
        {"vulnerabilities": [pregnant.pk], "economic_needs": "Sin empleo", "version": 1},
    )

    assert response.status_code == 302
    assert response.url == detail(case) + "#assessment"
    case.refresh_from_db()
    assert list(case.vulnerabilities.all()) == [pregnant]
    assert case.economic_needs == "Sin empleo"
    assert case.version == 2


def test_concurrent_edit_keeps_both_and_overwrites_nothing(client_a, case, colleague):
    # A colleague saves first, from the same version.
    actions.case_assess(
        actor=colleague,
        case=Case.objects.get(pk=case.pk),
        vulnerabilities=[],
        economic_needs="Guardado por la colega",
        expected_version=1,
    )

    response = post(
        client_a, "case_assess", case, {"economic_needs": "Lo que escribí yo", "version": 1}
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this case" in content
    assert "Guardado por la colega" in content  # what is stored now
    assert "Lo que escribí yo" in content  # what the user typed, kept
    assert response.context["assess_form"]["version"].value() == "2"
    case.refresh_from_db()
    assert case.economic_needs == "Guardado por la colega"
    assert case.version == 2


def test_concurrent_close_is_refused(client_a, case, caseworker):
    actions.case_set_restricted(
        actor=caseworker, case=Case.objects.get(pk=case.pk), restricted=False, expected_version=1
    )
    reason = ClosureReason.objects.get(code="reintegrated")

    response = post(client_a, "case_close", case, {"reason": reason.pk, "version": 1})

    assert response.status_code == 200
    assert "Someone else changed this case" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN


def test_close_and_reopen(client_a, case):
    reason = ClosureReason.objects.get(code="reintegrated")

    closed = post(client_a, "case_close", case, {"reason": reason.pk, "note": "Bien", "version": 1})
    reopened = post(client_a, "case_reopen", case, {"version": 2})

    assert closed.status_code == reopened.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    assert case.version == 3


def test_close_without_reason_shows_the_error_summary(client_a, case):
    response = post(client_a, "case_close", case, {"note": "Sin motivo", "version": 1})

    content = response.content.decode()
    assert response.status_code == 200
    assert "error-summary" in content
    assert "Sin motivo" in content
    assert Case.objects.get(pk=case.pk).status == Case.Status.OPEN


def test_add_note_and_a_correction(client_a, case):
    post(client_a, "note_add", case, {"text": "Primera nota", "client_uuid": uuid.uuid4()})
    first = CaseNote.objects.get()

    response = post(
        client_a,
        "note_add",
        case,
        {"text": "Nota corregida", "corrects": first.pk, "client_uuid": uuid.uuid4()},
    )

    assert response.status_code == 302
    correction = CaseNote.objects.exclude(pk=first.pk).get()
    assert correction.corrects == first
    assert CaseNote.objects.get(pk=first.pk).text == "Primera nota"
    page = client_a.get(detail(case), **EN).content.decode()
    assert "Corrects note of" in page
    assert "Corrected later" in page


def test_note_double_submit_adds_one_note(client_a, case):
    data = {"text": "Una vez", "client_uuid": str(uuid.uuid4())}

    post(client_a, "note_add", case, data)
    post(client_a, "note_add", case, data)

    assert CaseNote.objects.count() == 1


def test_a_note_saved_again_with_other_text_is_kept_as_typed_under_a_new_identifier(client_a, case):
    key = str(uuid.uuid4())
    post(client_a, "note_add", case, {"text": "Primera versión", "client_uuid": key})

    # The back button, the text changed, saved again with the same hidden identifier.
    response = post(client_a, "note_add", case, {"text": "Segunda versión", "client_uuid": key})

    assert response.status_code == 200
    form = response.context["note_form"]
    assert "already saved with other content" in form.non_field_errors()[0]
    assert form["text"].value() == "Segunda versión"
    assert form["client_uuid"].value() not in ("", key)
    assert [note.text for note in CaseNote.objects.all()] == ["Primera versión"]

    again = post(client_a, "note_add", case, {"text": "Segunda versión", **form.data})
    assert again.status_code == 302
    assert CaseNote.objects.count() == 2


def test_correction_of_another_cases_note_is_refused(client_a, case, caseworker, center_a):
    other = actions.case_open(
        actor=caseworker, person=PersonFactory(centers=[center_a]), center=center_a
    ).case
    foreign = actions.note_add(actor=caseworker, case=other, text="Ajena").note

    response = post(
        client_a,
        "note_add",
        case,
        {"text": "x", "corrects": foreign.pk, "client_uuid": uuid.uuid4()},
    )

    assert response.status_code == 200
    assert not case.notes.exists()


def test_referral_refused_without_share_consent(client_a, case, partner):
    line = partner.service_lines.get()

    response = post(
        client_a,
        "referral_add",
        case,
        {"partner": partner.pk, "service_line": line.pk, "client_uuid": uuid.uuid4()},
    )

    assert response.status_code == 200
    assert "has not consented to share their data" in response.content.decode()
    assert not Referral.objects.exists()


@pytest.fixture
def honduran_partner():
    partner = Partner.objects.create(
        name="INFOP Honduras", kind=Partner.Kind.GOVERNMENT, country=country("HN")
    )
    partner.service_lines.add(ServiceLine.objects.get(code="vocational_training"))
    return partner


def test_the_referral_form_offers_only_partners_of_the_case_country(
    client_a, case, partner, honduran_partner
):
    page = client_a.get(detail(case), **EN)

    assert list(page.context["referral_form"].fields["partner"].queryset) == [partner]
    assert "INFOP Honduras" not in page.content.decode()


def test_a_forged_referral_to_a_partner_of_another_country_is_refused(
    client_a, case, caseworker, honduran_partner
):
    registry_actions.consents_record(
        actor=caseworker, person=case.person, consents={"share_with_partners": True}
    )

    response = post(
        client_a,
        "referral_add",
        case,
        {
            "partner": honduran_partner.pk,
            "service_line": honduran_partner.service_lines.get().pk,
            "client_uuid": uuid.uuid4(),
        },
    )

    assert response.status_code == 200
    assert response.context["referral_form"].errors["partner"] == ["Choose a partner organisation."]
    assert "Choose a partner organisation." in response.content.decode()
    assert not Referral.objects.exists()


def test_referral_with_consent_and_status_update(client_a, case, partner, caseworker):
    registry_actions.consents_record(
        actor=caseworker, person=case.person, consents={"share_with_partners": True}
    )
    line = partner.service_lines.get()

    created = post(
        client_a,
        "referral_add",
        case,
        {
            "partner": partner.pk,
            "service_line": line.pk,
            "reason": "Curso",
            "client_uuid": uuid.uuid4(),
        },
    )
    referral = Referral.objects.get()
    updated = post(
        client_a,
        "referral_status",
        case,
        {f"referral-{referral.pk}-status": "accepted"},
        referral_id=referral.pk,
    )

    assert created.status_code == updated.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED


def test_goal_add_and_progress(client_a, case):
    post(client_a, "goal_add", case, {"dimension": "economic", "description": "Empleo formal"})
    goal = case.goals.get()

    response = post(
        client_a,
        "goal_progress",
        case,
        {f"goal-{goal.pk}-progress": "in_progress", f"goal-{goal.pk}-version": 1},
        goal_id=goal.pk,
    )

    assert response.status_code == 302
    goal.refresh_from_db()
    assert (goal.progress, goal.version) == ("in_progress", 2)


def test_goal_progress_saved_by_someone_else_meanwhile_is_shown_not_overwritten(
    client_a, case, colleague
):
    goal = actions.goal_add(actor=colleague, case=case, dimension="economic", description="Empleo")
    page = client_a.get(detail(case), **EN)
    version = page.context["goal_rows"][0][1]["version"].value()
    # A colleague records progress first, from the same version.
    actions.goal_set_progress(actor=colleague, goal=goal, progress="achieved", expected_version=1)

    response = post(
        client_a,
        "goal_progress",
        case,
        {f"goal-{goal.pk}-progress": "dropped", f"goal-{goal.pk}-version": version},
        goal_id=goal.pk,
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this goal" in content
    assert "Stored now: Achieved" in content
    form = response.context["goal_rows"][0][1]
    assert form["progress"].value() == "dropped"  # what the user chose, kept
    assert form["version"].value() == "2"  # saving again is a deliberate choice
    goal.refresh_from_db()
    assert (goal.progress, goal.version) == ("achieved", 2)


@pytest.mark.parametrize(
    ("name", "field", "data"),
    [
        ("goal_add", "target_date", {"dimension": "economic", "description": "x"}),
        ("follow_up_add", "due_date", {}),
    ],
)
@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("0001-01-01", "The date cannot be before 01/01/2000."),
        ("9999-12-31", "The date cannot be after "),
    ],
)
def test_a_plan_date_out_of_range_is_shown_on_the_field(
    client_a, case, name, field, data, day, message
):
    response = post(client_a, name, case, {**data, field: day})

    page = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in page
    assert message in page
    assert not case.goals.exists() and not case.follow_ups.exists()


def test_follow_ups_default_and_done(client_a, case):
    post(client_a, "follow_ups_default", case)
    first = case.follow_ups.order_by("due_date").first()

    response = post(
        client_a,
        "follow_up_done",
        case,
        {f"follow-up-{first.pk}-outcome": "reached"},
        follow_up_id=first.pk,
    )

    assert case.follow_ups.count() == 3
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.done_at is not None and first.outcome == "reached"


def test_overdue_follow_up_is_highlighted(client_a, case, caseworker):
    today = case.center.local_now().date()
    overdue = FollowUp.objects.create(
        case=case, due_date=today - timedelta(days=1), purpose="Atrasado", created_by=caseworker
    )
    FollowUp.objects.create(case=case, due_date=today, purpose="Hoy", created_by=caseworker)

    page = client_a.get(detail(case), **EN)

    rows = {f.pk: is_overdue for f, is_overdue, _ in page.context["follow_up_rows"]}
    assert rows[overdue.pk] is True
    assert sum(rows.values()) == 1
    assert page.content.decode().count("follow-up--overdue") == 1


def test_supervisor_assigns_and_caseworker_cannot(client, client_a, case, supervisor, colleague):
    refused = post(client_a, "case_assign", case, {"assigned_to": colleague.pk, "version": 1})
    client.force_login(supervisor)
    assigned = post(client, "case_assign", case, {"assigned_to": colleague.pk, "version": 1})

    assert refused.status_code == 403
    assert assigned.status_code == 302
    case.refresh_from_db()
    assert case.assigned_to == colleague


def test_a_caseworker_working_at_the_centre_through_a_group_is_offered_and_assigned(
    client, case, supervisor, center_a
):
    from guardian.shortcuts import assign_perm

    team = Group.objects.create(name="equipo-sps")
    assign_perm("registry.work_at_center", team, center_a)
    member = UserFactory(username="via_group")
    member.groups.add(team, Group.objects.get(name="caseworker"))
    client.force_login(supervisor)

    page = client.get(detail(case), **EN)
    assigned = post(client, "case_assign", case, {"assigned_to": member.pk, "version": 1})

    assert f'value="{member.pk}"' in page.content.decode()
    assert assigned.status_code == 302
    case.refresh_from_db()
    assert case.assigned_to == member


def test_restrict_hides_the_case_from_colleagues(client, client_a, case, colleague):
    response = post(client_a, "case_restrict", case, {"restricted": "1", "version": 1})

    assert response.status_code == 302
    client.force_login(colleague)
    assert client.get(detail(case)).status_code == 404


# --- Query counts -----------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **EN)
    assert response.status_code == 200
    return len(queries)


def _fill(case, user, n):
    registry_actions.consents_record(
        actor=user, person=case.person, consents={"share_with_partners": True}
    )
    line = ServiceLine.objects.get(code="job_placement")
    partner = Partner.objects.create(name=f"P{n}", kind="ngo", country=country("GT"))
    partner.service_lines.add(line)
    first = None
    for i in range(n):
        note = actions.note_add(actor=user, case=case, text=f"n{i}", corrects=first).note
        first = first or note
        actions.goal_add(actor=user, case=case, dimension="social", description=f"g{i}")
        actions.referral_create(actor=user, case=case, partner=partner, service_line=line)
        actions.follow_up_schedule(
            actor=user, case=case, due_date=timezone.localdate() - timedelta(days=i)
        )


def test_detail_query_count_does_not_grow(client_a, case, caseworker, center_a):
    _fill(case, caseworker, 1)
    other_person = PersonFactory(centers=[center_a])
    consent_given(other_person, Consent.Kind.FOLLOW_UP_CONTACT, by=caseworker)
    other = actions.case_open(actor=caseworker, person=other_person, center=center_a).case
    _fill(other, caseworker, 5)

    assert _count_queries(client_a, detail(case)) == _count_queries(client_a, detail(other))


def test_list_query_count_is_pinned(client_a, caseworker, center_a):
    def make(n):
        for _ in range(n):
            actions.case_open(
                actor=caseworker, person=PersonFactory(centers=[center_a]), center=center_a
            )

    make(3)
    url = reverse("cases:case_list") + "?assigned_to=me"
    few = _count_queries(client_a, url)
    make(27)
    many = _count_queries(client_a, url)

    assert few == many
    page = client_a.get(url, **EN)
    assert len(page.context["page"].object_list) == 25


def test_list_searches_by_case_number_and_name(client_a, case, caseworker, center_a):
    actions.case_open(
        actor=caseworker,
        person=PersonFactory(given_names="Pedro", first_surname="Xol", centers=[center_a]),
        center=center_a,
    )

    by_number = client_a.get(reverse("cases:case_list"), {"q": case.number}, **EN)
    by_name = client_a.get(reverse("cases:case_list"), {"q": "garcia"}, **EN)

    assert [c.pk for c in by_number.context["page"]] == [case.pk]
    assert [c.pk for c in by_name.context["page"]] == [case.pk]
    # The first letters of a name find it; letters inside it do not (every "-ía" would).
    for text, expected in (("Ana Gar", [case.pk]), ("sia", [])):
        page = client_a.get(reverse("cases:case_list"), {"q": text}, **EN).context["page"]
        assert [c.pk for c in page] == expected
