"""The audit log says who did what to which record and which fields changed, never the values
of a person's or a case's data; the admin lists none of those entries, whoever asks; an entry
keeps who acted even when the user row goes.

Refusing to delete users in the admin is in tests/test_self_escalation.py.
"""

import json
import uuid

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from casework import actions
from casework.models import CaseNote, Referral
from registry import actions as registry_actions
from registry.audit import REDACTED, is_personal
from registry.models import (
    Consent,
    DocumentType,
    Partner,
    Person,
    ServiceLine,
    VulnerabilityCategory,
)
from registry.tests.factories import PersonFactory, UserFactory, country

pytestmark = pytest.mark.django_db

DOCUMENT = "AUD987654"
PHONE = "+502 5555 0199"
NOTE = "Refiere violencia de su pareja; teme volver a casa."
NEEDS = "Albergue temporal lejos del agresor."
REASON = "Acompañamiento legal por violencia intrafamiliar."


@pytest.fixture
def administrator(db):
    """The system administrator: staff, no centre, allowed to view audit entries."""
    user = UserFactory(username="sysadmin", is_staff=True)
    user.groups.add(Group.objects.get(name="administrator"))
    return user


@pytest.fixture
def person(caseworker, center_a):
    """Registered with a document number, then given a phone number (two audited writes)."""
    with set_actor(caseworker):
        person = registry_actions.person_register(
            actor=caseworker,
            center=center_a,
            person_id=uuid.uuid4(),
            data={
                "given_names": "Rosa Elena",
                "first_surname": "Tzul",
                "sex": Person.Sex.FEMALE,
                "nationality": country("GT"),
                "document_type": DocumentType.objects.get(code="passport"),
                "document_number": DOCUMENT,
            },
        ).person
        return registry_actions.person_correct(
            actor=caseworker,
            person_id=person.pk,
            data={"phone": PHONE},
            reason="Número nuevo",
            expected_version=1,
        )


@pytest.fixture
def restricted_case(caseworker, center_a, person):
    """A gender-based violence case: restricted, assessed, with a note and a referral."""
    violence = VulnerabilityCategory.objects.filter(active=True).first()
    line = ServiceLine.objects.filter(active=True).first()
    partner = Partner.objects.create(name="Refugio", kind=Partner.Kind.NGO, country=country("GT"))
    partner.service_lines.add(line)
    Consent.objects.create(
        person=person, kind=Consent.Kind.SHARE_WITH_PARTNERS, granted=True, recorded_by=caseworker
    )
    with set_actor(caseworker):
        case = actions.case_open(
            actor=caseworker, person=person, center=center_a, restricted=True
        ).case
        actions.case_assess(
            actor=caseworker,
            case=case,
            vulnerabilities=[violence],
            psychosocial_needs=NEEDS,
            expected_version=case.version,
        )
        actions.note_add(actor=caseworker, case=case, text=NOTE)
        actions.referral_create(
            actor=caseworker, case=case, partner=partner, service_line=line, reason=REASON
        )
    return case


def stored(entry: LogEntry) -> str:
    """Everything an entry stores about the record, as one text."""
    return json.dumps(
        [entry.changes, entry.changes_text, entry.object_repr, entry.serialized_data],
        ensure_ascii=False,
    )


def entries_of(instance):
    return LogEntry.objects.get_for_object(instance)


def test_a_person_change_is_stored_as_field_names_without_values(person):
    update = entries_of(person).get(action=LogEntry.Action.UPDATE)
    create = entries_of(person).get(action=LogEntry.Action.CREATE)

    assert update.changes == {"phone": [REDACTED, REDACTED]}
    assert {"given_names", "document_number"} <= set(create.changes)
    for entry in (create, update):
        text = stored(entry)
        assert PHONE not in text
        assert DOCUMENT not in text
        assert "Tzul" not in text  # not even in the entry's name for the record


def test_a_restricted_case_is_stored_without_its_notes_assessment_referrals_or_vulnerabilities(
    restricted_case,
):
    note = CaseNote.objects.get(case=restricted_case)
    referral = Referral.objects.get(case=restricted_case)
    texts = [stored(e) for r in (restricted_case, note, referral) for e in entries_of(r)]

    assert "text" in entries_of(note).get(action=LogEntry.Action.CREATE).changes
    assert "reason" in entries_of(referral).get(action=LogEntry.Action.CREATE).changes
    changed = set().union(*(e.changes or {} for e in entries_of(restricted_case)))
    assert {"psychosocial_needs", "vulnerabilities"} <= changed
    vulnerability = restricted_case.vulnerabilities.get()
    for text in texts:
        assert NOTE not in text
        assert NEEDS not in text
        assert REASON not in text
        assert vulnerability.name not in text


def test_the_supervisor_reads_which_fields_changed_when_and_by_whom(client, supervisor, person):
    client.force_login(supervisor)

    page = client.get(
        reverse("person_access_log", kwargs={"person_id": person.pk}), HTTP_ACCEPT_LANGUAGE="en"
    )

    body = page.content.decode()
    assert page.status_code == 200
    assert "phone" in body and "document_number" in body
    assert "caseworker_a" in body
    assert PHONE not in body and DOCUMENT not in body


@pytest.mark.parametrize("who", ["administrator", "superuser"])
def test_the_admin_lists_and_finds_no_entry_of_a_person(client, administrator, person, who):
    user = administrator
    if who == "superuser":
        user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    url = reverse("admin:auditlog_logentry_changelist")

    listed = client.get(url)
    found = [client.get(url, {"q": term}) for term in (DOCUMENT, PHONE, "Tzul")]

    assert listed.status_code == 200
    person_type = ContentType.objects.get_for_model(Person)
    assert not [e for e in listed.context["cl"].result_list if e.content_type == person_type]
    body = listed.content.decode()
    assert DOCUMENT not in body and PHONE not in body and "Tzul" not in body
    assert [response.context["cl"].result_count for response in found] == [0, 0, 0]


def test_the_admin_does_not_open_an_entry_of_a_person(client, administrator, person):
    entry = entries_of(person).get(action=LogEntry.Action.UPDATE)
    client.force_login(administrator)

    response = client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk]))

    assert response.status_code in (302, 404)
    assert PHONE not in response.content.decode()


def test_the_admin_lists_entries_about_staff_accounts(client, administrator, caseworker):
    """Audit entries without personal data (e.g. a user's export) stay readable to admins."""
    entry = LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(get_user_model()),
        object_pk=str(caseworker.pk),
        object_id=caseworker.pk,
        object_repr=caseworker.get_username(),
        action=LogEntry.Action.ACCESS,
        actor=caseworker,
        changes={"export": ["xlsx", "FY2025"]},
    )
    client.force_login(administrator)

    listed = client.get(reverse("admin:auditlog_logentry_changelist"))

    assert entry in listed.context["cl"].result_list


def test_a_staff_supervisor_cannot_list_audit_entries_in_the_admin(client, supervisor, person):
    supervisor.is_staff = True
    supervisor.save(update_fields=["is_staff"])
    client.force_login(supervisor)

    response = client.get(reverse("admin:auditlog_logentry_changelist"))

    assert response.status_code == 403


def test_an_entry_keeps_who_acted_when_the_user_row_goes(client, supervisor, center_a):
    person = PersonFactory(centers=[center_a])
    visitor = UserFactory(username="temp_worker", email="", centers=[center_a])
    client.force_login(visitor)
    client.get(reverse("person_detail", kwargs={"person_id": person.pk}))

    get_user_model().objects.filter(pk=visitor.pk).delete()

    entry = entries_of(person).get(action=LogEntry.Action.ACCESS)
    assert entry.actor is None
    assert entry.actor_email == "temp_worker"
    client.force_login(supervisor)
    page = client.get(reverse("person_access_log", kwargs={"person_id": person.pk}))
    assert "temp_worker" in page.content.decode()


# Models audited with their values: reference data only (none is audited yet).
AUDITED_WITH_VALUES: set = set()


def test_every_audited_model_keeps_field_names_only_unless_it_is_reference_data():
    """A model registered with plain auditlog.register would store values and show in the admin."""
    assert {m for m in auditlog.get_models() if not is_personal(m)} == AUDITED_WITH_VALUES
