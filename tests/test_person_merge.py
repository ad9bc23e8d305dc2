"""Merging two records of one person and undoing it (registry.actions.person_merge and
person_unmerge) through the page and the API: everything recorded moves to the kept record and
back, the merged id still finds the person, and only a supervisor of both records may do it."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone, translation
from guardian.shortcuts import assign_perm

from casework.actions import case_open
from casework.models import Case, CaseNote
from intake.models import Arrival
from intake.tests.factories import ArrivalFactory
from registry.actions import consents_record, person_merge, person_unmerge
from registry.errors import Forbidden, NotFound, VersionConflict
from registry.models import Consent, PersonCenter, PersonMerge
from registry.roles import SUPERVISOR
from registry.tests.factories import PersonFactory
from services.models import ServiceDelivery
from services.tests.factories import ServiceDeliveryFactory

pytestmark = pytest.mark.django_db


def arrived(center, user, days_ago=3, **fields):
    person = PersonFactory(**fields)
    ArrivalFactory(
        person=person,
        center=center,
        registered_by=user,
        arrived_at=timezone.now() - timedelta(days=days_ago),
    )
    PersonCenter.objects.get_or_create(person=person, center=center)
    return person


@pytest.fixture
def twins(center_a, caseworker):
    """One woman registered twice at centre A: once with her DPI, once with her phone."""
    kept = arrived(
        center_a,
        caseworker,
        given_names="Yesenia Marisol",
        first_surname="Argueta",
        second_surname="Euceda",
        phone="",
        birth_date="1994-05-17",
    )
    other = arrived(
        center_a,
        caseworker,
        days_ago=1,
        given_names="Jesenia",
        first_surname="Argueta",
        second_surname="Euceda",
        phone="+502 5555 0199",
        birth_date="1994-05-17",
    )
    ServiceDeliveryFactory(person=other, center=center_a, recorded_by=caseworker)
    consents_record(actor=caseworker, person=other, consents={"follow_up_contact": True})
    return kept, other


def merge(actor, kept, other, **kwargs):
    kept.refresh_from_db()
    other.refresh_from_db()
    options = {"take": ["phone"], "reason": "Mismo DPI", **kwargs}
    return person_merge(
        actor=actor,
        survivor_id=kept.pk,
        merged_id=other.pk,
        expected_versions=(kept.version, other.version),
        **options,
    )


def holdings(person):
    return (
        Arrival.objects.filter(person=person).count(),
        ServiceDelivery.objects.filter(person=person).count(),
        Consent.objects.filter(person=person).count(),
        Case.objects.filter(person=person).count(),
    )


# --- the action ---------------------------------------------------------------------------------


def test_a_merge_moves_everything_to_the_kept_record_and_an_unmerge_moves_it_back(
    supervisor, twins
):
    kept, other = twins
    case = case_open(actor=supervisor, person=other, center=other.arrivals.get().center).case
    CaseNote.objects.create(case=case, author=supervisor, text="Primera entrevista")
    before = {kept.pk: holdings(kept), other.pk: holdings(other)}

    done = merge(supervisor, kept, other)

    kept.refresh_from_db()
    other.refresh_from_db()
    assert holdings(kept) == (2, 1, 1, 1) and holdings(other) == (0, 0, 0, 0)
    assert case.notes.count() == 1 and Case.objects.get(pk=case.pk).person_id == kept.pk
    assert kept.phone == "+502 5555 0199" and kept.given_names == "Yesenia Marisol"
    assert other.merged_into_id == kept.pk
    # the merged record is known nowhere: no list, search or count finds it
    assert not PersonCenter.objects.filter(person=other).exists()
    assert done.merged_by == supervisor and done.reason == "Mismo DPI"

    person_unmerge(actor=supervisor, merge_id=done.pk, reason="Eran hermanas")

    kept.refresh_from_db()
    other.refresh_from_db()
    assert {kept.pk: holdings(kept), other.pk: holdings(other)} == before
    assert kept.phone == "" and other.merged_into_id is None
    assert PersonCenter.objects.filter(person=other).count() == 1
    assert PersonMerge.objects.get().unmerged_by == supervisor


def test_an_unmerge_leaves_the_kept_record_known_where_it_returned_since(
    supervisor, caseworker, center_a, center_b
):
    assign_perm("registry.work_at_center", supervisor, center_b)
    supervisor = type(supervisor).objects.get(pk=supervisor.pk)
    kept = arrived(center_a, caseworker, given_names="Wilmer", first_surname="Chen")
    other = arrived(center_b, supervisor, given_names="Guilmer", first_surname="Chen")
    quiet = arrived(center_a, caseworker, given_names="Brayan", first_surname="Tzoc")
    quiet_twin = arrived(center_b, supervisor, given_names="Bryan", first_surname="Tzoc")
    done = merge(supervisor, kept, other, take=[])
    quiet_done = merge(supervisor, quiet, quiet_twin, take=[])
    # After the merge, the kept record returns through centre B (its link there came with it).
    ArrivalFactory(person=kept, center=center_b, registered_by=supervisor)

    person_unmerge(actor=supervisor, merge_id=done.pk, reason="Eran primos")
    person_unmerge(actor=supervisor, merge_id=quiet_done.pk, reason="Eran primos")

    def known_at(person):
        return set(PersonCenter.objects.filter(person=person).values_list("center_id", flat=True))

    assert known_at(other) == {center_b.pk}
    assert known_at(kept) == {center_a.pk, center_b.pk}  # its arrival there is still its own
    assert known_at(quiet) == {center_a.pk}  # nothing of its own at B: not known there


def test_an_unmerge_keeps_a_correction_made_since(supervisor, twins):
    from registry.actions import person_correct

    kept, other = twins
    done = merge(supervisor, kept, other, take=["phone", "given_names"])
    kept.refresh_from_db()
    person_correct(
        actor=supervisor,
        person_id=kept.pk,
        data={"phone": "+502 5555 0300"},
        reason="Nuevo número",
        expected_version=kept.version,
    )
    person_unmerge(actor=supervisor, merge_id=done.pk, reason="No era ella")
    kept.refresh_from_db()
    assert kept.phone == "+502 5555 0300"  # corrected since: the correction stands
    assert kept.given_names == "Yesenia Marisol"  # taken by the merge: restored


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("itself", "no se puede unir consigo mismo"),
        ("twice", "ya se habían unido"),
        ("no reason", "Indique por qué se unen los registros."),
        ("two open cases", "Ambos registros tienen un caso abierto en el Centro A"),
    ],
)
def test_a_refused_merge_says_why_and_changes_nothing(supervisor, twins, case, message):
    from django.core.exceptions import ValidationError

    kept, other = twins
    if case == "twice":
        merge(supervisor, kept, other)
    if case == "two open cases":
        center = kept.arrivals.get().center
        case_open(actor=supervisor, person=kept, center=center)
        case_open(actor=supervisor, person=other, center=center)
    moved_before = holdings(other)
    with translation.override("es"):
        with pytest.raises(ValidationError) as refused:
            if case == "itself":
                merge(supervisor, kept, kept)
            else:
                merge(supervisor, kept, other, reason="" if case == "no reason" else "Mismo DPI")
        assert message in " ".join(refused.value.messages)
    assert holdings(other) == moved_before
    assert PersonMerge.objects.count() == (1 if case == "twice" else 0)


def test_a_caseworker_may_not_merge_and_an_outsider_finds_nobody(
    caseworker, outsider, supervisor, twins
):
    kept, other = twins
    with pytest.raises(Forbidden):
        merge(caseworker, kept, other)
    with pytest.raises(NotFound):
        merge(outsider, kept, other)
    assert PersonMerge.objects.count() == 0


def test_a_supervisor_of_one_record_only_may_not_merge_a_record_of_another_centre(
    center_b, supervisor, twins, outsider
):
    kept, _other = twins
    elsewhere = arrived(center_b, outsider)
    with pytest.raises(NotFound):
        merge(supervisor, kept, elsewhere)
    # seen from a programme's reading access, still not theirs to merge
    assign_perm("registry.view_center_records", supervisor, center_b)
    supervisor = type(supervisor).objects.get(pk=supervisor.pk)
    with pytest.raises(Forbidden):
        merge(supervisor, kept, elsewhere)


def test_a_record_changed_since_the_comparison_is_not_merged(supervisor, twins):
    kept, other = twins
    with pytest.raises(VersionConflict):
        person_merge(
            actor=supervisor,
            survivor_id=kept.pk,
            merged_id=other.pk,
            take=[],
            reason="Mismo DPI",
            expected_versions=(kept.version, other.version + 1),
        )
    assert PersonMerge.objects.count() == 0


# --- the page ------------------------------------------------------------------------------------


@pytest.fixture
def client_sup(client, supervisor):
    client.force_login(supervisor)
    return client


def test_a_supervisor_compares_chooses_and_merges_on_the_page(client_sup, twins):
    kept, other = twins
    url = reverse("person_merge", args=[kept.pk, other.pk])
    page = client_sup.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Yesenia Marisol" in html and "Jesenia" in html
    assert 'name="value_given_names"' in html and 'name="value_phone"' in html
    assert 'name="value_first_surname"' not in html  # the same on both: nothing to choose

    data = {
        "value_given_names": "kept",
        "value_phone": "other",
        "reason": "",
        "kept_version": kept.version,
        "other_version": other.version,
    }
    refused = client_sup.post(url, data)
    assert refused.status_code == 400
    assert "Indique por qué se unen los registros." in refused.content.decode()
    assert b'value="other" checked' in refused.content  # the choice is kept

    response = client_sup.post(url, {**data, "reason": "Mismo DPI"})
    assert response.status_code == 302
    kept.refresh_from_db()
    assert kept.phone == "+502 5555 0199"
    # the merged record's page now opens the kept one
    followed = client_sup.get(reverse("person_detail", args=[other.pk]))
    assert followed.status_code == 302 and followed.url == reverse("person_detail", args=[kept.pk])
    detail = client_sup.get(followed.url).content.decode()
    assert "Registros unidos a este" in detail and "Jesenia" in detail

    merge_row = PersonMerge.objects.get()
    undo = client_sup.post(reverse("person_unmerge", args=[merge_row.pk]), {"reason": "Error"})
    assert undo.status_code == 302
    assert client_sup.get(reverse("person_detail", args=[other.pk])).status_code == 200


def test_the_pick_page_finds_the_other_record_and_never_the_same_one(client_sup, twins):
    kept, other = twins
    page = client_sup.get(reverse("person_merge_pick", args=[kept.pk]), {"q": "Argueta"})
    html = page.content.decode()
    assert reverse("person_merge", args=[kept.pk, other.pk]) in html
    assert reverse("person_merge", args=[kept.pk, kept.pk]) not in html


def test_the_merge_pages_refuse_a_caseworker_and_hide_from_an_outsider(
    client, caseworker, outsider, supervisor, twins
):
    kept, other = twins
    pages = [
        reverse("person_merge_pick", args=[kept.pk]),
        reverse("person_merge", args=[kept.pk, other.pk]),
    ]
    done = merge(supervisor, kept, other)
    pages.append(reverse("person_unmerge", args=[done.pk]))
    for user, status in ((caseworker, 403), (outsider, 404)):
        client.force_login(user)
        for url in pages:
            response = client.get(url)
            assert response.status_code == status, (user, url)
            if status == 403:  # the page says who may
                assert "Solo un/a supervisor/a" in response.content.decode()


# --- the API ---------------------------------------------------------------------------------------


def test_the_api_merges_and_the_merged_id_answers_with_the_kept_record(
    client_sup, supervisor, twins
):
    kept, other = twins
    response = client_sup.post(
        reverse("api-person-merge", args=[kept.pk]),
        {
            "merged": str(other.pk),
            "take": ["phone"],
            "reason": "Mismo DPI",
            "version": kept.version,
            "merged_version": other.version,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["survivor"] == str(kept.pk) and body["merged"] == str(other.pk)

    detail = client_sup.get(reverse("api-person-detail", args=[other.pk]))
    assert detail.status_code == 200 and detail.json()["id"] == str(kept.pk)

    again = client_sup.post(
        reverse("api-person-merge", args=[kept.pk]),
        {
            "merged": str(other.pk),
            "reason": "Otra vez",
            "version": kept.version + 1,
            "merged_version": other.version + 1,
        },
        content_type="application/json",
    )
    assert again.status_code == 400
    assert "ya se habían unido" in str(again.json())

    undone = client_sup.post(
        reverse("api-person-unmerge", args=[body["id"]]),
        {"reason": "Error"},
        content_type="application/json",
    )
    assert undone.status_code == 200 and undone.json()["unmerged_at"]
    twice = client_sup.post(
        reverse("api-person-unmerge", args=[body["id"]]),
        {"reason": "Error"},
        content_type="application/json",
    )
    assert twice.status_code == 400


def test_the_api_refuses_a_caseworker_with_403_and_an_outsider_with_404(
    client, caseworker, outsider, twins
):
    kept, other = twins
    body = {
        "merged": str(other.pk),
        "reason": "Mismo DPI",
        "version": kept.version,
        "merged_version": other.version,
    }
    url = reverse("api-person-merge", args=[kept.pk])
    client.force_login(caseworker)
    assert client.post(url, body, content_type="application/json").status_code == 403
    client.force_login(outsider)
    assert client.post(url, body, content_type="application/json").status_code == 404
    assert PersonMerge.objects.count() == 0


def test_a_delivery_sent_later_for_the_merged_id_is_recorded_for_the_kept_record(
    client, caseworker, supervisor, twins, center_a
):
    kept, other = twins
    merge(supervisor, kept, other)
    client.force_login(caseworker)
    response = client.post(
        "/api/v1/deliveries/",
        {
            "client_uuid": str(uuid.uuid4()),
            "person": str(other.pk),
            "center": center_a.code,
            "service_type": "food",
            "delivered_on": str(center_a.local_now().date()),
            "quantity": 1,
            "confirm_repeat": True,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert ServiceDelivery.objects.filter(person=kept).count() == 2


def test_the_supervisor_role_holds_the_merge_permission():
    group = Group.objects.get(name=SUPERVISOR)
    assert group.permissions.filter(codename="merge_person").exists()
    assert (
        not Group.objects.get(name="caseworker")
        .permissions.filter(codename="merge_person")
        .exists()
    )
