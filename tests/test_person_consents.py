"""Consents over time (registry.actions.consents_change): recorded, changed or withdrawn after
intake from the person page and the API, with who and when and the history kept; what each
consent gates follows the answer in force (a referral, the donor counts)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from guardian.shortcuts import assign_perm

from casework.actions import case_open, referral_create
from intake.tests.factories import ArrivalFactory
from registry.errors import Invalid
from registry.models import Consent, Partner, ServiceLine
from registry.roles import PROGRAMME_MANAGER
from registry.tests.factories import PersonFactory, UserFactory, country
from reporting.indicators import report_compute
from reporting.periods import month

pytestmark = pytest.mark.django_db

MARCH = datetime(2026, 3, 3, 10, tzinfo=ZoneInfo("America/Guatemala"))
ALL_YES = dict.fromkeys(Consent.Kind.values, "yes")


@pytest.fixture
def person(caseworker, center_a):
    person = PersonFactory(centers=[center_a])
    ArrivalFactory(person=person, center=center_a, arrived_at=MARCH, registered_by=caseworker)
    for kind in Consent.Kind.values:
        Consent.objects.create(
            person=person, kind=kind, granted=kind != "share_with_partners", recorded_by=caseworker
        )
    return person


def page(person):
    return reverse("person_consents", args=[person.pk])


def in_force(person, kind):
    return Consent.objects.filter(person=person, kind=kind).order_by("-recorded_at", "-pk")[0]


def test_a_caseworker_records_a_consent_given_later_and_the_history_shows_both(
    client_a, caseworker, person
):
    response = client_a.post(page(person), ALL_YES)
    assert response.status_code == 302
    latest = in_force(person, "share_with_partners")
    assert latest.granted and latest.recorded_by == caseworker
    assert Consent.objects.filter(person=person).count() == 5  # one new row, the rest unchanged
    detail = client_a.get(reverse("person_detail", args=[person.pk])).content.decode()
    assert "Historial de las respuestas" in detail
    assert detail.count("Rechazado o retirado") >= 1


def test_a_referral_follows_the_consent_in_force(client_a, caseworker, center_a, person):
    case = case_open(actor=caseworker, person=person, center=center_a).case
    partner = Partner.objects.create(name="INFOP", kind="government", country=country("GT"))
    line = ServiceLine.objects.first()
    partner.service_lines.add(line)

    def refer():
        return referral_create(
            actor=caseworker, case=case, partner=partner, service_line=line, reason="Taller"
        )

    with pytest.raises(ValidationError) as refused:
        refer()
    assert "partner" in refused.value.message_dict
    client_a.post(page(person), ALL_YES)
    assert refer() is not None


def test_follow_ups_follow_the_contact_consent_in_force(client_a, caseworker, center_a, person):
    from datetime import date

    from casework.actions import follow_up_complete, follow_up_schedule

    case = case_open(actor=caseworker, person=person, center=center_a).case
    planned = follow_up_schedule(actor=caseworker, case=case, due_date=date(2026, 4, 3))
    client_a.post(page(person), dict(ALL_YES, share_with_partners="no", follow_up_contact="no"))

    with pytest.raises(Invalid):  # withdrawn: no new contact planned ...
        follow_up_schedule(actor=caseworker, case=case, due_date=date(2026, 6, 3))
    with pytest.raises(Invalid):  # ... and none recorded
        follow_up_complete(actor=caseworker, follow_up=planned, outcome="reached")
    planned.refresh_from_db()
    assert planned.done_at is None and case.follow_ups.count() == 1

    case_page = client_a.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "no ha dado su consentimiento para ser contactada" in case_page
    assert reverse("cases:follow_ups_default", args=[case.pk]) not in case_page
    response = client_a.post(reverse("cases:follow_ups_default", args=[case.pk]))
    assert case.follow_ups.count() == 1  # refused, with the reason on the page
    assert "Registre su consentimiento en su expediente" in response.content.decode()

    client_a.post(page(person), ALL_YES)  # given again: follow-ups go on
    follow_up_complete(actor=caseworker, follow_up=planned, outcome="reached")
    assert case.follow_ups.get().done_at is not None


def test_withdrawing_the_statistics_consent_takes_the_person_out_of_the_counts(
    client_a, person, eager
):
    before = report_compute(indicator="received", period=month(2026, 3)).total
    response = client_a.post(page(person), dict(ALL_YES, anonymised_statistics="no"))
    assert response.status_code == 302
    assert report_compute(indicator="received", period=month(2026, 3)).total == before - 1


def test_the_same_answers_again_record_nothing_and_say_so(client_a, person):
    answers = dict.fromkeys(Consent.Kind.values, "yes") | {"share_with_partners": "no"}
    response = client_a.post(page(person), answers)
    assert response.status_code == 400
    assert "ya son las respuestas vigentes" in response.content.decode()
    assert Consent.objects.filter(person=person).count() == 4


def test_every_answer_is_needed_and_the_form_keeps_the_others(client_a, person):
    response = client_a.post(page(person), {"process_data": "no"})
    assert response.status_code == 400
    assert Consent.objects.filter(person=person).count() == 4


def test_a_reader_may_not_and_another_centre_gets_404(client, outsider, center_a, person):
    manager = UserFactory(username="manager_consents")
    manager.groups.add(Group.objects.get(name=PROGRAMME_MANAGER))
    assign_perm("registry.view_center_records", manager, center_a)
    client.force_login(manager)
    assert client.get(page(person)).status_code == 403
    assert client.post(page(person), ALL_YES).status_code == 403
    client.force_login(outsider)
    assert client.post(page(person), ALL_YES).status_code == 404
    assert Consent.objects.filter(person=person).count() == 4


def test_the_action_refuses_no_change(caseworker, person):
    from registry.actions import consents_change

    with pytest.raises(Invalid):
        consents_change(actor=caseworker, person_id=person.pk, consents={"process_data": True})


# --- the API ------------------------------------------------------------------------------------


def api(person):
    return reverse("api-person-consents", args=[person.pk])


def test_api_records_a_withdrawal_and_answers_the_consents_in_force(client_a, person):
    response = client_a.post(
        api(person), {"consents": {"follow_up_contact": False}}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["consents"]["follow_up_contact"] is False
    assert not in_force(person, "follow_up_contact").granted


@pytest.mark.parametrize(
    "body",
    [{}, {"consents": {}}, {"consents": {"process_data": True}}, {"consents": {"x": True}}],
)
def test_api_refusals_are_400_and_change_nothing(client_a, person, body):
    response = client_a.post(api(person), body, content_type="application/json")
    assert response.status_code == 400
    assert Consent.objects.filter(person=person).count() == 4


def test_api_another_centre_gets_404(client, outsider, person):
    client.force_login(outsider)
    body = {"consents": {"follow_up_contact": False}}
    assert client.post(api(person), body, content_type="application/json").status_code == 404
