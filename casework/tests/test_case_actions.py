"""The case actions: lifecycle, who may do what, notes, referrals, follow-ups, concurrency."""

import datetime
import uuid
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from registry.errors import Forbidden, VersionConflict
from registry.idempotency import IdempotencyConflict
from registry.models import ClosureReason, Consent, Partner, ServiceLine, VulnerabilityCategory
from registry.permissions import forget_center_ids
from registry.tests.factories import (
    PersonFactory,
    ReceptionCenterFactory,
    UserFactory,
    consent_given,
    country,
)

from ..actions import (
    case_assess,
    case_assign,
    case_close,
    case_open,
    case_reopen,
    case_set_restricted,
    follow_up_complete,
    follow_up_schedule,
    follow_ups_schedule_default,
    goal_add,
    goal_set_progress,
    note_add,
    referral_create,
    referral_set_status,
)
from ..models import Case, CaseNote, FollowUp, Referral
from ..permissions import cases_for
from ..selectors import overdue_follow_ups


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
def reason(db):
    return ClosureReason.objects.get(code="reintegrated")


@pytest.fixture
def partner(db):
    partner = Partner.objects.create(
        name="INTECAP", kind=Partner.Kind.GOVERNMENT, country=country("GT")
    )
    partner.service_lines.add(ServiceLine.objects.get(code="vocational_training"))
    return partner


def share_consent(person, user, granted=True):
    Consent.objects.create(
        person=person, kind=Consent.Kind.SHARE_WITH_PARTNERS, granted=granted, recorded_by=user
    )


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


# --- opening and numbering --------------------------------------------------------------------


def test_case_numbers_count_up_per_centre_and_local_year(caseworker, center_a, center_b):
    now = datetime.datetime(2026, 3, 10, 15, 0, tzinfo=datetime.UTC)
    with mock.patch("django.utils.timezone.now", return_value=now):
        first = case_open(
            actor=caseworker, person=PersonFactory(centers=[center_a]), center=center_a
        ).case
        second = case_open(
            actor=caseworker, person=PersonFactory(centers=[center_a]), center=center_a
        ).case
    assert first.number == "CA-2026-00001"
    assert second.number == "CA-2026-00002"
    outsider = UserFactory(username="other_b", centers=[center_b])
    elsewhere = case_open(
        actor=outsider, person=PersonFactory(centers=[center_b]), center=center_b
    ).case
    assert elsewhere.number.startswith("CB-") and elsewhere.number.endswith("-00001")


def test_case_number_year_is_the_centres_local_year(caseworker, center_a):
    # 03:00 UTC on 1 January is still 31 December in Guatemala.
    now = datetime.datetime(2027, 1, 1, 3, 0, tzinfo=datetime.UTC)
    with mock.patch("django.utils.timezone.now", return_value=now):
        case = case_open(
            actor=caseworker, person=PersonFactory(centers=[center_a]), center=center_a
        ).case
    assert case.number.startswith("CA-2026-")


def test_opening_assigns_the_opener_and_makes_the_person_known_at_the_centre(caseworker, center_a):
    person = PersonFactory(centers=[center_a])
    case = case_open(actor=caseworker, person=person, center=center_a).case
    assert case.status == Case.Status.OPEN
    assert case.assigned_to == caseworker
    assert case.opened_by == caseworker
    assert case.version == 1


def test_a_second_open_case_for_the_same_person_and_centre_is_refused(case, caseworker, center_a):
    with pytest.raises(ValidationError) as excinfo:
        case_open(actor=caseworker, person=case.person, center=center_a)
    assert "person" in excinfo.value.message_dict
    assert case.number not in excinfo.value.message_dict["person"][0]
    assert Case.objects.filter(person=case.person).count() == 1


def test_opening_at_a_centre_the_user_does_not_work_at_is_refused(caseworker, center_b):
    person = PersonFactory(centers=[center_b])
    with pytest.raises(ValidationError) as excinfo:
        case_open(actor=caseworker, person=person, center=center_b)
    assert "center" in excinfo.value.message_dict
    assert not Case.objects.exists()


def test_assigning_at_opening_to_someone_of_another_centre_is_refused(
    caseworker, person, center_a, outsider
):
    with pytest.raises(ValidationError) as excinfo:
        case_open(actor=caseworker, person=person, center=center_a, assigned_to=outsider)
    assert "assigned_to" in excinfo.value.message_dict


def test_opening_with_a_known_client_uuid_returns_the_same_case(caseworker, person, center_a):
    key = uuid.uuid4()
    first = case_open(actor=caseworker, person=person, center=center_a, client_uuid=key)
    again = case_open(actor=caseworker, person=person, center=center_a, client_uuid=key)
    assert (first.created, again.created) == (True, False)
    assert again.case.pk == first.case.pk
    assert Case.objects.count() == 1


def test_a_known_client_uuid_with_restricted_true_is_a_conflict(caseworker, person, center_a):
    key = uuid.uuid4()
    case_open(actor=caseworker, person=person, center=center_a, client_uuid=key)
    with pytest.raises(IdempotencyConflict):
        case_open(
            actor=caseworker, person=person, center=center_a, client_uuid=key, restricted=True
        )
    assert not Case.objects.get().restricted


# --- closing and reopening --------------------------------------------------------------------


def test_the_assigned_caseworker_closes_their_case(case, caseworker, reason):
    case_close(
        actor=caseworker, case=case, reason=reason, note="Empleo estable", expected_version=1
    )
    case = fresh(case)
    assert case.status == Case.Status.CLOSED
    assert case.closure_reason == reason
    assert case.closed_by == caseworker
    assert case.closed_at is not None
    assert case.version == 2


def test_closing_a_closed_case_is_refused(case, caseworker, reason):
    case_close(actor=caseworker, case=case, reason=reason, expected_version=1)
    with pytest.raises(ValidationError):
        case_close(actor=caseworker, case=case, reason=reason, expected_version=2)
    assert fresh(case).version == 2


def test_closing_without_an_active_reason_is_refused(case, caseworker, reason):
    reason.active = False
    reason.save()
    with pytest.raises(ValidationError) as excinfo:
        case_close(actor=caseworker, case=case, reason=reason, expected_version=1)
    assert "closure_reason" in excinfo.value.message_dict
    assert fresh(case).status == Case.Status.OPEN


def test_a_caseworker_not_assigned_cannot_close_anothers_case(case, colleague, reason):
    with pytest.raises(Forbidden):
        case_close(actor=colleague, case=case, reason=reason, expected_version=1)
    assert fresh(case).status == Case.Status.OPEN


def test_a_supervisor_of_the_centre_closes_anyones_case(case, supervisor, reason):
    case_close(actor=supervisor, case=case, reason=reason, expected_version=1)
    assert fresh(case).status == Case.Status.CLOSED


def test_a_supervisor_of_another_centre_cannot_close_the_case(case, center_b, reason):
    other = UserFactory(username="supervisor_b", centers=[center_b])
    other.groups.add(Group.objects.get(name="supervisor"))
    with pytest.raises(Forbidden):
        case_close(actor=other, case=case, reason=reason, expected_version=1)
    assert fresh(case).status == Case.Status.OPEN


def test_reopening_clears_the_closure(case, caseworker, reason):
    case_close(actor=caseworker, case=case, reason=reason, note="x", expected_version=1)
    case_reopen(actor=caseworker, case=case, expected_version=2)
    case = fresh(case)
    assert case.status == Case.Status.OPEN
    assert case.closure_reason is None
    assert case.closure_note == ""
    assert case.closed_at is None
    assert case.version == 3


def test_reopening_an_open_case_is_refused(case, caseworker):
    with pytest.raises(ValidationError):
        case_reopen(actor=caseworker, case=case, expected_version=1)
    assert fresh(case).version == 1


def test_reopening_is_refused_while_another_case_of_the_person_is_open(
    case, caseworker, reason, center_a
):
    case_close(actor=caseworker, case=case, reason=reason, expected_version=1)
    case_open(actor=caseworker, person=case.person, center=center_a)
    with pytest.raises(ValidationError):
        case_reopen(actor=caseworker, case=case, expected_version=2)
    assert fresh(case).status == Case.Status.CLOSED


def test_a_closed_case_lets_a_new_one_be_opened(case, caseworker, reason, center_a):
    case_close(actor=caseworker, case=case, reason=reason, expected_version=1)
    second = case_open(actor=caseworker, person=case.person, center=center_a).case
    assert second.number != case.number


# --- assignment -------------------------------------------------------------------------------


def test_only_a_supervisor_assigns(case, caseworker, colleague, supervisor):
    with pytest.raises(Forbidden):
        case_assign(actor=caseworker, case=case, assignee=colleague, expected_version=1)
    assert fresh(case).assigned_to == caseworker
    case_assign(actor=supervisor, case=case, assignee=colleague, expected_version=1)
    assert fresh(case).assigned_to == colleague


def test_assigning_to_someone_of_another_centre_is_refused(case, supervisor, outsider):
    with pytest.raises(ValidationError):
        case_assign(actor=supervisor, case=case, assignee=outsider, expected_version=1)
    assert fresh(case).assigned_to_id != outsider.pk


# --- restricted cases -------------------------------------------------------------------------


def visible_to(user, case) -> bool:
    forget_center_ids(user)
    return cases_for(user).filter(pk=case.pk).exists()


def test_a_restricted_case_is_visible_only_to_its_caseworker_and_the_centres_supervisors(
    caseworker, colleague, supervisor, outsider, person, center_a
):
    case = case_open(actor=caseworker, person=person, center=center_a, restricted=True).case
    assert visible_to(caseworker, case)
    assert visible_to(supervisor, case)
    assert not visible_to(colleague, case)
    assert not visible_to(outsider, case)


def test_reassigning_a_restricted_case_moves_the_permission(
    caseworker, colleague, supervisor, person, center_a
):
    case = case_open(actor=caseworker, person=person, center=center_a, restricted=True).case
    case_assign(actor=supervisor, case=case, assignee=colleague, expected_version=1)
    assert visible_to(colleague, case)
    assert not visible_to(caseworker, case)
    assert visible_to(supervisor, case)


def test_restricting_and_unrestricting_a_case(case, caseworker, colleague, supervisor):
    assert visible_to(colleague, case)
    case_set_restricted(actor=caseworker, case=case, restricted=True, expected_version=1)
    assert not visible_to(colleague, case)
    assert visible_to(caseworker, case)
    assert visible_to(supervisor, case)
    case_set_restricted(actor=supervisor, case=case, restricted=False, expected_version=2)
    assert visible_to(colleague, case)


def test_a_caseworker_not_assigned_cannot_restrict(case, colleague):
    with pytest.raises(Forbidden):
        case_set_restricted(actor=colleague, case=case, restricted=True, expected_version=1)
    assert not fresh(case).restricted


# --- optimistic concurrency -------------------------------------------------------------------


def test_a_stale_version_raises_version_conflict_and_changes_nothing(case, caseworker, reason):
    stale_copy = fresh(case)
    case_assess(
        actor=caseworker, case=case, vulnerabilities=[], economic_needs="Empleo", expected_version=1
    )
    with pytest.raises(VersionConflict) as excinfo:
        case_close(actor=caseworker, case=stale_copy, reason=reason, expected_version=1)
    assert excinfo.value.current_version == 2
    case = fresh(case)
    assert case.status == Case.Status.OPEN
    assert case.version == 2
    assert case.closure_reason is None


def test_a_stale_assessment_keeps_the_saved_one(case, caseworker, colleague):
    stale_copy = fresh(case)
    case_assess(
        actor=caseworker, case=case, vulnerabilities=[], social_needs="Vivienda", expected_version=1
    )
    with pytest.raises(VersionConflict):
        case_assess(
            actor=colleague,
            case=stale_copy,
            vulnerabilities=[],
            social_needs="Otra cosa",
            expected_version=1,
        )
    assert fresh(case).social_needs == "Vivienda"


def test_assessment_records_vulnerabilities_and_needs(case, caseworker):
    pregnant = VulnerabilityCategory.objects.get(code="pregnant")
    case_assess(
        actor=caseworker,
        case=case,
        vulnerabilities=[pregnant],
        psychosocial_needs="Duelo",
        expected_version=1,
    )
    case = fresh(case)
    assert list(case.vulnerabilities.all()) == [pregnant]
    assert case.psychosocial_needs == "Duelo"
    assert case.assessed_at is not None


def test_a_closed_case_cannot_be_assessed(case, caseworker, reason):
    case_close(actor=caseworker, case=case, reason=reason, expected_version=1)
    with pytest.raises(ValidationError):
        case_assess(actor=caseworker, case=case, vulnerabilities=[], expected_version=2)


# --- notes ------------------------------------------------------------------------------------


def test_notes_cannot_be_changed_or_deleted(case, caseworker):
    note = note_add(actor=caseworker, case=case, text="Primera entrevista").note
    note.text = "Cambiado"
    with pytest.raises(ValidationError):
        note.save()
    with pytest.raises(ValidationError):
        note.delete()
    assert CaseNote.objects.get(pk=note.pk).text == "Primera entrevista"


def test_a_correction_is_a_new_note_referencing_the_old_one(case, caseworker, colleague):
    note = note_add(actor=caseworker, case=case, text="Tiene 3 hijos").note
    correction = note_add(actor=colleague, case=case, text="Tiene 2 hijos", corrects=note).note
    assert correction.pk != note.pk
    assert correction.corrects == note
    assert list(note.corrections.all()) == [correction]
    assert CaseNote.objects.get(pk=note.pk).text == "Tiene 3 hijos"


def test_a_correction_must_refer_to_a_note_of_the_same_case(case, caseworker, center_a):
    other_case = case_open(
        actor=caseworker, person=PersonFactory(centers=[center_a]), center=center_a
    ).case
    note = note_add(actor=caseworker, case=other_case, text="Otra").note
    with pytest.raises(ValidationError) as excinfo:
        note_add(actor=caseworker, case=case, text="Corrige", corrects=note)
    assert "corrects" in excinfo.value.message_dict


def test_notes_can_be_added_to_a_closed_case(case, caseworker, reason):
    case_close(actor=caseworker, case=case, reason=reason, expected_version=1)
    note = note_add(actor=caseworker, case=case, text="Llamó después del cierre").note
    assert note.pk is not None


def test_an_outsider_cannot_write_notes(case, outsider):
    with pytest.raises(Forbidden):
        note_add(actor=outsider, case=case, text="x")
    assert not CaseNote.objects.exists()


def test_an_empty_note_is_refused(case, caseworker):
    with pytest.raises(ValidationError):
        note_add(actor=caseworker, case=case, text="   ")


# --- goals ------------------------------------------------------------------------------------


def test_goal_added_and_progressed(case, caseworker):
    goal = goal_add(
        actor=caseworker, case=case, dimension="economic", description="Conseguir empleo"
    )
    assert goal.progress == "not_started"
    goal_set_progress(actor=caseworker, goal=goal, progress="achieved", expected_version=1)
    goal.refresh_from_db()
    assert (goal.progress, goal.version) == ("achieved", 2)


def test_goal_progress_from_a_stale_version_is_a_version_conflict(case, caseworker, colleague):
    goal = goal_add(actor=caseworker, case=case, dimension="social", description="Vivienda")
    goal_set_progress(actor=colleague, goal=goal, progress="achieved", expected_version=1)
    with pytest.raises(VersionConflict) as excinfo:
        goal_set_progress(actor=caseworker, goal=goal, progress="dropped", expected_version=1)
    assert excinfo.value.current_version == 2
    goal.refresh_from_db()
    assert (goal.progress, goal.version) == ("achieved", 2)


def test_goal_with_an_unknown_progress_is_refused(case, caseworker):
    goal = goal_add(actor=caseworker, case=case, dimension="social", description="Vivienda")
    with pytest.raises(ValidationError):
        goal_set_progress(actor=caseworker, goal=goal, progress="nearly", expected_version=1)


def test_goals_cannot_be_added_to_a_closed_case(case, caseworker, reason):
    case_close(actor=caseworker, case=case, reason=reason, expected_version=1)
    with pytest.raises(ValidationError):
        goal_add(actor=caseworker, case=case, dimension="economic", description="x")


# --- referrals --------------------------------------------------------------------------------


def test_referral_without_share_consent_is_refused(case, caseworker, partner):
    line = ServiceLine.objects.get(code="vocational_training")
    with pytest.raises(ValidationError) as excinfo:
        referral_create(actor=caseworker, case=case, partner=partner, service_line=line)
    assert "partner" in excinfo.value.message_dict
    assert not Referral.objects.exists()


def test_referral_after_consent_was_withdrawn_is_refused(case, caseworker, partner):
    share_consent(case.person, caseworker, granted=True)
    share_consent(case.person, caseworker, granted=False)
    line = ServiceLine.objects.get(code="vocational_training")
    with pytest.raises(ValidationError):
        referral_create(actor=caseworker, case=case, partner=partner, service_line=line)


def test_referral_to_a_partner_lacking_the_service_line_is_refused(case, caseworker, partner):
    share_consent(case.person, caseworker)
    legal = ServiceLine.objects.exclude(code="vocational_training").first()
    with pytest.raises(ValidationError) as excinfo:
        referral_create(actor=caseworker, case=case, partner=partner, service_line=legal)
    assert "service_line" in excinfo.value.message_dict
    assert not Referral.objects.exists()


def test_referral_to_a_partner_of_another_country_is_refused(case, caseworker):
    share_consent(case.person, caseworker)
    line = ServiceLine.objects.get(code="vocational_training")
    honduran = Partner.objects.create(
        name="INFOP", kind=Partner.Kind.GOVERNMENT, country=country("HN")
    )
    honduran.service_lines.add(line)

    with pytest.raises(ValidationError) as excinfo:
        referral_create(actor=caseworker, case=case, partner=honduran, service_line=line)

    assert "partner" in excinfo.value.message_dict
    assert not Referral.objects.exists()


def test_referral_with_consent_and_service_line_is_pending(case, caseworker, partner):
    share_consent(case.person, caseworker)
    line = ServiceLine.objects.get(code="vocational_training")
    referral = referral_create(
        actor=caseworker, case=case, partner=partner, service_line=line, reason="Taller"
    ).referral
    assert referral.status == Referral.Status.PENDING
    assert referral.referred_by == caseworker


@pytest.fixture
def referral(case, caseworker, partner):
    share_consent(case.person, caseworker)
    line = ServiceLine.objects.get(code="vocational_training")
    return referral_create(actor=caseworker, case=case, partner=partner, service_line=line).referral


@pytest.mark.parametrize(
    "path",
    [
        ["accepted", "completed"],
        ["declined"],
        ["no_response", "accepted", "completed"],
        ["accepted", "no_response", "declined"],
    ],
)
def test_allowed_referral_status_moves(referral, caseworker, path):
    for status in path:
        referral_set_status(actor=caseworker, referral=referral, status=status)
    assert Referral.objects.get(pk=referral.pk).status == path[-1]


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], "completed"),
        ([], "pending"),
        (["accepted", "completed"], "declined"),
        (["declined"], "accepted"),
        (["no_response"], "completed"),
        ([], "unknown"),
    ],
)
def test_refused_referral_status_moves(referral, caseworker, path, refused):
    for status in path:
        referral_set_status(actor=caseworker, referral=referral, status=status)
    before = Referral.objects.get(pk=referral.pk).status
    with pytest.raises(ValidationError) as excinfo:
        referral_set_status(actor=caseworker, referral=referral, status=refused)
    assert "status" in excinfo.value.message_dict
    assert Referral.objects.get(pk=referral.pk).status == before


def test_an_outsider_cannot_change_a_referral(referral, outsider):
    with pytest.raises(Forbidden):
        referral_set_status(actor=outsider, referral=referral, status="accepted")


# --- follow-ups -------------------------------------------------------------------------------


def test_default_follow_ups_at_one_three_and_six_months(case, caseworker):
    follow_ups = follow_ups_schedule_default(
        actor=caseworker, case=case, start=datetime.date(2026, 1, 31)
    )
    assert [f.due_date for f in follow_ups] == [
        datetime.date(2026, 2, 28),
        datetime.date(2026, 4, 30),
        datetime.date(2026, 7, 31),
    ]
    assert FollowUp.objects.filter(case=case).count() == 3


def test_default_follow_ups_count_from_the_local_opening_day(case, caseworker):
    # 02:00 UTC on 1 March is 28 February at a Guatemalan centre.
    Case.objects.filter(pk=case.pk).update(
        opened_at=datetime.datetime(2026, 3, 1, 2, 0, tzinfo=datetime.UTC)
    )
    case = fresh(case)
    follow_ups = follow_ups_schedule_default(actor=caseworker, case=case)
    assert [f.due_date for f in follow_ups] == [
        datetime.date(2026, 3, 28),
        datetime.date(2026, 5, 28),
        datetime.date(2026, 8, 28),
    ]


def test_follow_up_overdue_uses_the_centres_local_date(caseworker, person, db):
    center = ReceptionCenterFactory(code="GUA", time_zone="America/Guatemala")
    caseworker_gua = UserFactory(username="caseworker_gua", centers=[center])
    person.center_links.create(center=center)
    consent_given(person, Consent.Kind.FOLLOW_UP_CONTACT, by=caseworker_gua)
    case = case_open(actor=caseworker_gua, person=person, center=center).case
    follow_up = follow_up_schedule(
        actor=caseworker_gua, case=case, due_date=datetime.date(2026, 3, 9)
    )
    # 23:30 on 9 March in Guatemala is already 05:30 on 10 March in UTC.
    now = datetime.datetime(2026, 3, 10, 5, 30, tzinfo=datetime.UTC)
    assert now.astimezone(ZoneInfo("America/Guatemala")).date() == datetime.date(2026, 3, 9)
    with mock.patch("django.utils.timezone.now", return_value=now):
        today_there = center.local_now().date()
    assert today_there == datetime.date(2026, 3, 9)
    assert not follow_up.is_overdue(today_there)
    assert follow_up.is_overdue(now.date())  # what a UTC "today" would wrongly say
    assert not overdue_follow_ups(FollowUp.objects.all(), today_there).exists()
    next_day = today_there + datetime.timedelta(days=1)
    assert follow_up.is_overdue(next_day)
    assert list(overdue_follow_ups(FollowUp.objects.all(), next_day)) == [follow_up]


def test_a_done_follow_up_is_never_overdue(case, caseworker):
    follow_up = follow_up_schedule(actor=caseworker, case=case, due_date=datetime.date(2026, 1, 1))
    follow_up_complete(actor=caseworker, follow_up=follow_up, outcome="reached")
    follow_up.refresh_from_db()
    assert follow_up.done_by == caseworker
    assert not follow_up.is_overdue(datetime.date(2030, 1, 1))


def test_completing_a_follow_up_twice_is_refused(case, caseworker):
    follow_up = follow_up_schedule(actor=caseworker, case=case, due_date=datetime.date(2026, 1, 1))
    follow_up_complete(actor=caseworker, follow_up=follow_up, outcome="reached")
    with pytest.raises(ValidationError):
        follow_up_complete(actor=caseworker, follow_up=follow_up, outcome="not_reached")
    assert FollowUp.objects.get(pk=follow_up.pk).outcome == "reached"


def test_completing_a_follow_up_needs_an_outcome(case, caseworker):
    follow_up = follow_up_schedule(actor=caseworker, case=case, due_date=datetime.date(2026, 1, 1))
    with pytest.raises(ValidationError):
        follow_up_complete(actor=caseworker, follow_up=follow_up, outcome="")
    assert FollowUp.objects.get(pk=follow_up.pk).done_at is None
