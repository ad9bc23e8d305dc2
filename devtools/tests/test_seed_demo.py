"""seed_demo: real centres, one login per role, sample arrivals, partners and cases; safe to run
twice."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse

from casework.models import Case, CaseNote, FollowUp, Referral
from casework.permissions import cases_for
from intake.models import Arrival
from registry import roles
from registry.models import Consent, Partner, Person, PersonCenter, ReceptionCenter
from registry.permissions import user_center_ids

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def seeded(capsys):
    call_command("seed_demo")
    return capsys.readouterr().out


def _counts():
    return {
        "centres": ReceptionCenter.objects.count(),
        "users": User.objects.count(),
        "persons": Person.objects.count(),
        "arrivals": Arrival.objects.count(),
        "links": PersonCenter.objects.count(),
        "partners": Partner.objects.count(),
        "cases": Case.objects.count(),
        "notes": CaseNote.objects.count(),
        "referrals": Referral.objects.count(),
        "follow_ups": FollowUp.objects.count(),
        "consents": Consent.objects.count(),
    }


def test_seed_demo_twice_creates_nothing_new(seeded, capsys):
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first
    assert first["centres"] == 7
    assert 35 <= first["arrivals"] <= 50
    out = capsys.readouterr().out
    assert "0 new arrivals" in out
    assert "0 new cases" in out


def test_caseworker_of_sps_works_at_sps_only(seeded):
    caseworker = User.objects.get(username="caseworker.sps")
    sps = ReceptionCenter.objects.get(code="SPS")
    assert user_center_ids(caseworker) == frozenset({sps.pk})
    assert list(caseworker.groups.values_list("name", flat=True)) == [roles.CASEWORKER]
    assert caseworker.has_perm("intake.add_arrival")


def test_supervisor_is_assigned_to_sps_and_manager_donor_to_no_centre(seeded):
    sps = ReceptionCenter.objects.get(code="SPS")
    assert user_center_ids(User.objects.get(username="supervisor.sps")) == frozenset({sps.pk})
    manager = User.objects.get(username="manager")
    # The programme manager works nowhere but reads the records of every centre.
    assert user_center_ids(manager, for_write=True) == frozenset()
    assert user_center_ids(manager) == set(ReceptionCenter.objects.values_list("pk", flat=True))
    assert user_center_ids(User.objects.get(username="donor")) == frozenset()
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert not User.objects.get(username="donor").is_staff


def test_centres_carry_both_languages_and_local_time_zones(seeded):
    sps = ReceptionCenter.objects.get(code="SPS")
    assert sps.name_es == "Centro de Atención al Migrante Retornado (CAMR) San Pedro Sula"
    assert sps.name_en
    assert sps.country.iso2 == "HN"
    assert sps.time_zone == "America/Tegucigalpa"
    assert ReceptionCenter.objects.get(code="BEL").kind == "children_families"
    assert ReceptionCenter.objects.get(code="CHA").time_zone == "America/El_Salvador"


def test_every_arrival_is_registered_by_a_caseworker_of_its_centre(seeded):
    for arrival in Arrival.objects.select_related("registered_by", "center"):
        assert arrival.center_id in user_center_ids(arrival.registered_by)
        assert PersonCenter.objects.filter(person=arrival.person, center=arrival.center).exists()


def test_demo_includes_repeat_returns_and_a_family_unit(seeded):
    returns = Person.objects.annotate(n=Count("arrivals")).filter(n__gt=1)
    assert returns.count() >= 2
    family = Arrival.objects.filter(travel_group="family_unit")
    assert family.count() >= 3
    assert family.values("family_group").distinct().count() == 1


def test_demo_password_and_login_table(seeded):
    assert "caseworker.sps" in seeded
    assert "retorno-demo-2026" in seeded
    assert User.objects.get(username="caseworker.sps").check_password("retorno-demo-2026")


def test_password_can_be_overridden(seeded):
    call_command("seed_demo", password="otra-clave-larga-2026", no_arrivals=True)
    assert User.objects.get(username="manager").check_password("otra-clave-larga-2026")


def test_partners_offer_service_lines_in_each_programme_country(seeded):
    for iso2 in ("GT", "HN", "SV"):
        partners = Partner.objects.filter(country__iso2=iso2, active=True)
        assert partners.count() >= 4, iso2
        assert not partners.filter(service_lines__isnull=True).exists()
    assert Partner.objects.filter(name__contains="INTECAP", country__iso2="GT").exists()


def test_demo_cases_have_notes_referrals_and_an_overdue_follow_up(seeded):
    sps = ReceptionCenter.objects.get(code="SPS")
    caseworker = User.objects.get(username="caseworker.sps")
    mine = Case.objects.filter(assigned_to=caseworker, status=Case.Status.OPEN)
    assert mine.count() >= 3
    assert CaseNote.objects.filter(case__in=mine).exists()
    today = sps.local_now().date()
    assert FollowUp.objects.filter(case__in=mine, done_at__isnull=True, due_date__lt=today).exists()
    assert FollowUp.objects.filter(case__in=mine, done_at__isnull=False).exists()
    for referral in Referral.objects.select_related("case__person"):
        consents = referral.case.person.consents.filter(kind="share_with_partners")
        assert consents.order_by("-recorded_at").first().granted
    # Every case was opened from one of the centre's arrivals by its caseworkers.
    for case in Case.objects.select_related("opened_from_arrival"):
        assert case.opened_from_arrival.center_id == case.center_id
        assert case.center_id in user_center_ids(case.assigned_to, for_write=True)


def test_restricted_demo_case_is_hidden_from_colleagues_of_other_centres_and_roles(seeded):
    restricted = Case.objects.get(restricted=True)
    assert cases_for(User.objects.get(username="caseworker.sps")).filter(pk=restricted.pk).exists()
    assert cases_for(User.objects.get(username="supervisor.sps")).filter(pk=restricted.pk).exists()
    assert not cases_for(User.objects.get(username="manager")).filter(pk=restricted.pk).exists()
    assert (
        not cases_for(User.objects.get(username="caseworker.omo")).filter(pk=restricted.pk).exists()
    )


def test_demo_home_pages_render_for_each_role(seeded, client):
    for username in ("caseworker.sps", "supervisor.sps", "manager", "donor"):
        client.force_login(User.objects.get(username=username))
        assert client.get(reverse("home")).status_code == 200, username


ADMIN_MODELS = [
    "registry.country",
    "registry.department",
    "registry.municipality",
    "registry.svmunicipality2024",
    "registry.documenttype",
    "registry.migrationreason",
    "registry.receptioncenter",
    "registry.person",
    "registry.consent",
    "registry.closurereason",
    "registry.vulnerabilitycategory",
    "registry.serviceline",
    "registry.partner",
    "casework.case",
    "casework.casenote",
    "casework.referral",
    "casework.followup",
    "intake.arrival",
]


def test_demo_admin_can_browse_every_admin_list(seeded, client, django_assert_max_num_queries):
    client.force_login(User.objects.get(username="admin"))
    for model in ADMIN_MODELS:
        app_label, model_name = model.split(".")
        # About 40 demo rows per list: a query per row would blow this bound.
        with django_assert_max_num_queries(15):
            response = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
        assert response.status_code == 200, model


def test_admin_offers_no_way_to_edit_or_delete_audited_records(seeded, client):
    # A staff supervisor of SPS: the records are in scope, and still read-only.
    supervisor = User.objects.get(username="supervisor.sps")
    supervisor.is_staff = True
    supervisor.save(update_fields=["is_staff"])
    client.force_login(supervisor)
    sps = ReceptionCenter.objects.get(code="SPS")
    arrival = Arrival.objects.filter(center=sps).first()
    person = arrival.person
    case = Case.objects.filter(center=sps).first()
    assert client.get(reverse("admin:registry_person_change", args=[person.pk])).status_code == 200
    assert client.get(reverse("admin:registry_person_delete", args=[person.pk])).status_code == 403
    assert client.get(reverse("admin:intake_arrival_delete", args=[arrival.pk])).status_code == 403
    assert client.get(reverse("admin:casework_case_delete", args=[case.pk])).status_code == 403
    response = client.post(
        reverse("admin:registry_person_change", args=[person.pk]), {"given_names": "X"}
    )
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.given_names != "X"


def test_demo_superuser_without_centres_sees_no_person_in_the_admin(seeded, client):
    client.force_login(User.objects.get(username="admin"))
    person = Person.objects.first()
    response = client.get(reverse("admin:registry_person_changelist"))
    assert response.context["cl"].result_count == 0
    # Out of scope answers like a missing record: back to the admin index.
    response = client.get(reverse("admin:registry_person_change", args=[person.pk]))
    assert response.status_code == 302


def test_admin_sees_centre_assignments_on_the_user_page(seeded, client):
    client.force_login(User.objects.get(username="admin"))
    caseworker = User.objects.get(username="caseworker.sps")
    page = client.get(reverse("admin:auth_user_change", args=[caseworker.pk]))
    assert page.status_code == 200
    sps = ReceptionCenter.objects.get(code="SPS")
    assert sps.name in page.content.decode()
