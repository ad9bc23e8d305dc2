"""Admin lists never show records outside the user's centres, superusers included."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from casework.actions import case_open, note_add
from casework.models import FollowUp, Referral
from intake.tests.factories import ArrivalFactory
from registry import roles
from registry.models import Consent, Partner, Person, ServiceLine
from registry.tests.factories import UserFactory, country

pytestmark = pytest.mark.django_db

SCOPED = [
    ("registry", "person"),
    ("registry", "consent"),
    ("intake", "arrival"),
    ("casework", "case"),
    ("casework", "casenote"),
    ("casework", "referral"),
    ("casework", "followup"),
]


@pytest.fixture
def records(caseworker, outsider, center_a, center_b):
    """One of everything at centre A, one at centre B, and a restricted case at A."""
    partner = Partner.objects.create(
        name="INTECAP", kind=Partner.Kind.GOVERNMENT, country=country("GT")
    )
    line = ServiceLine.objects.get(code="vocational_training")
    partner.service_lines.add(line)
    made = {}
    for key, center, user, restricted in (
        ("a", center_a, caseworker, False),
        ("b", center_b, outsider, False),
        ("secret", center_a, caseworker, True),
    ):
        arrival = ArrivalFactory(center=center, registered_by=user)
        person = arrival.person
        Consent.objects.create(
            person=person, kind="share_with_partners", granted=True, recorded_by=user
        )
        case = case_open(
            actor=user, person=person, center=center, arrival=arrival, restricted=restricted
        ).case
        note = note_add(actor=user, case=case, text=f"nota {key}").note
        referral = Referral.objects.create(
            case=case, partner=partner, service_line=line, referred_by=user
        )
        follow_up = FollowUp.objects.create(case=case, due_date="2026-01-01", created_by=user)
        made[key] = {
            "person": person,
            "consent": person.consents.get(),
            "arrival": arrival,
            "case": case,
            "casenote": note,
            "referral": referral,
            "followup": follow_up,
        }
    return made


def changelist_pks(client, app_label, model):
    response = client.get(reverse(f"admin:{app_label}_{model}_changelist"))
    assert response.status_code == 200, model
    return {obj.pk for obj in response.context["cl"].result_list}


def staff(user, role=None):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def test_caseworker_with_staff_sees_only_own_centre_rows(client, caseworker, records):
    client.force_login(staff(caseworker, roles.CASEWORKER))
    for app_label, model in SCOPED:
        assert changelist_pks(client, app_label, model) == {
            records["a"][model].pk,
            records["secret"][model].pk,
        }, model


def test_colleague_with_staff_does_not_see_restricted_case_rows(client, colleague, records):
    client.force_login(staff(colleague, roles.CASEWORKER))
    for app_label, model in SCOPED:
        pks = changelist_pks(client, app_label, model)
        if model in ("case", "casenote", "referral", "followup"):
            assert pks == {records["a"][model].pk}, model
        assert records["b"][model].pk not in pks, model


@pytest.mark.parametrize("model", ["case", "casenote", "referral", "followup"])
def test_out_of_scope_change_page_answers_like_a_missing_record(client, colleague, records, model):
    client.force_login(staff(colleague, roles.CASEWORKER))
    app_label = "casework"
    for key in ("b", "secret"):
        pk = records[key][model].pk
        response = client.get(reverse(f"admin:{app_label}_{model}_change", args=[pk]))
        # The admin redirects to its index, as for an id that does not exist.
        assert response.status_code == 302, (model, key)
    own = records["a"][model].pk
    assert client.get(reverse(f"admin:{app_label}_{model}_change", args=[own])).status_code == 200


def test_out_of_scope_person_and_arrival_change_pages(client, colleague, records):
    client.force_login(staff(colleague, roles.CASEWORKER))
    person_b, arrival_b = records["b"]["person"], records["b"]["arrival"]
    assert (
        client.get(reverse("admin:registry_person_change", args=[person_b.pk])).status_code == 302
    )
    assert (
        client.get(reverse("admin:intake_arrival_change", args=[arrival_b.pk])).status_code == 302
    )


def test_administrator_without_superuser_sees_no_casework_rows(client, records):
    administrator = staff(UserFactory(username="sysadmin"), roles.ADMINISTRATOR)
    client.force_login(administrator)
    for app_label, model in SCOPED:
        response = client.get(reverse(f"admin:{app_label}_{model}_changelist"))
        # No role permission to read them, and no centre: refused or empty, never a row.
        if response.status_code == 200:
            assert response.context["cl"].result_count == 0, model
        else:
            assert response.status_code == 403, model
    # Reference data is theirs to maintain.
    for model in ("closurereason", "vulnerabilitycategory", "serviceline", "partner"):
        response = client.get(reverse(f"admin:registry_{model}_changelist"))
        assert response.status_code == 200, model


def test_administrator_with_a_centre_sees_that_centre_only(client, center_a, records):
    administrator = staff(UserFactory(username="sysadmin_a", centers=[center_a]))
    administrator.groups.add(Group.objects.get(name=roles.PROGRAMME_MANAGER))  # read permissions
    client.force_login(administrator)
    assert changelist_pks(client, "casework", "case") == {records["a"]["case"].pk}
    assert changelist_pks(client, "intake", "arrival") == {
        records["a"]["arrival"].pk,
        records["secret"]["arrival"].pk,
    }


def test_superuser_without_centres_sees_no_rows(client, records):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True, centers=[]))
    for app_label, model in SCOPED:
        assert changelist_pks(client, app_label, model) == set(), model
    assert Person.objects.count() == 3


def test_reference_data_admin_edits_both_languages(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    line = ServiceLine.objects.get(code="vocational_training")
    response = client.get(reverse("admin:registry_serviceline_change", args=[line.pk]))
    content = response.content.decode()
    assert 'name="name_es"' in content
    assert 'name="name_en"' in content
    response = client.get(reverse("admin:registry_partner_add"))
    assert response.status_code == 200
    assert "service_lines" in response.content.decode()
