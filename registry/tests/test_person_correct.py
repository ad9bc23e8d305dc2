"""Correcting a person's details (registry.actions.person_correct) through its two doors: the
page and PATCH /api/v1/persons/<id>/. A reason is required, a stale version is refused, the
values before and after are kept, and nobody outside the person's centres gets anything."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from guardian.shortcuts import assign_perm

from registry.models import Correction, Person
from registry.roles import PROGRAMME_MANAGER

from .factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(center_a):
    return PersonFactory(
        given_names="Wendy Marisol",
        first_surname="Tzul",
        second_surname="",
        phone="+502 5555 0101",
        birth_date="1990-04-12",
        centers=[center_a],
    )


@pytest.fixture
def manager(center_a):
    user = UserFactory(username="manager_correct")
    user.groups.add(Group.objects.get(name=PROGRAMME_MANAGER))
    assign_perm("registry.view_center_records", user, center_a)
    return user


def page_data(person, **changes):
    data = {
        "given_names": person.given_names,
        "first_surname": person.first_surname,
        "second_surname": person.second_surname,
        "sex": person.sex,
        "gender_identity": "",
        "birth_date": str(person.birth_date),
        "nationality": person.nationality_id,
        "document_type": person.document_type_id,
        "document_number": person.document_number,
        "origin_department": "",
        "origin_municipality": "",
        "indigenous_people": "",
        "language": "",
        "phone": person.phone,
        "reason": "Se escribió mal al registrar",
        "version": person.version,
    }
    data.update(changes)
    return data


def correct_url(person):
    return reverse("person_correct", args=[person.pk])


# --- the page ----------------------------------------------------------------------------------


def test_a_caseworker_corrects_a_name_and_the_change_is_kept_with_its_reason(
    client_a, caseworker, person
):
    response = client_a.post(
        correct_url(person), page_data(person, given_names="Wendi Marisol", phone="5555-0202")
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.given_names, person.phone, person.version) == ("Wendi Marisol", "5555-0202", 2)
    correction = Correction.objects.get(person=person)
    assert correction.kind == Correction.Kind.PERSON_DETAILS
    assert correction.reason == "Se escribió mal al registrar"
    assert correction.corrected_by == caseworker
    assert correction.changes == [
        {"field": "given_names", "before": "Wendy Marisol", "after": "Wendi Marisol"},
        {"field": "phone", "before": "+502 5555 0101", "after": "5555-0202"},
    ]
    page = client_a.get(reverse("person_detail", args=[person.pk])).content.decode()
    assert "Wendy Marisol → Wendi Marisol" in page
    assert "Se escribió mal al registrar" in page


def test_search_and_recognition_follow_the_corrected_name(client_a, person):
    client_a.post(correct_url(person), page_data(person, first_surname="Argueta"))
    response = client_a.get(reverse("person_search"), {"q": "Wendy Argeta"})
    assert [p.pk for p in response.context["page"].object_list] == [person.pk]


def test_without_a_reason_the_form_keeps_what_was_typed_and_nothing_changes(client_a, person):
    response = client_a.post(
        correct_url(person), page_data(person, given_names="Wendi", reason="   ")
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="Wendi"' in body
    assert "Indique por qué se corrige el registro." in body
    person.refresh_from_db()
    assert (person.given_names, person.version) == ("Wendy Marisol", 1)
    assert not Correction.objects.exists()


def test_a_stale_version_is_refused_and_saving_again_applies_the_correction(
    client_a, caseworker, person
):
    from registry.actions import person_correct

    person_correct(
        actor=caseworker,
        person_id=person.pk,
        data={"phone": "5555 0303"},
        reason="Otro teléfono",
        expected_version=1,
    )
    stale = page_data(person, given_names="Wendi Marisol", version=1)
    response = client_a.post(correct_url(person), stale)
    assert response.status_code == 400
    assert "Alguien más corrigió los datos de esta persona" in response.content.decode()
    assert response.context["form"]["version"].value() == "2"
    person.refresh_from_db()
    assert person.given_names == "Wendy Marisol"

    again = dict(stale, version=2, phone="5555 0303")
    assert client_a.post(correct_url(person), again).status_code == 302
    person.refresh_from_db()
    assert (person.given_names, person.phone, person.version) == ("Wendi Marisol", "5555 0303", 3)


def test_saving_without_a_change_says_so(client_a, person):
    response = client_a.post(correct_url(person), page_data(person))
    assert response.status_code == 400
    assert "No se cambió nada" in response.content.decode()
    assert not Correction.objects.exists()


def test_a_wrong_value_gets_the_models_message_on_its_field(client_a, person):
    response = client_a.post(correct_url(person), page_data(person, phone="call me"))
    assert response.status_code == 400
    assert response.context["form"].errors["phone"]
    person.refresh_from_db()
    assert person.phone == "+502 5555 0101"


def test_a_programme_manager_reads_but_may_not_correct(client, manager, person):
    client.force_login(manager)
    detail = client.get(reverse("person_detail", args=[person.pk])).content.decode()
    assert correct_url(person) not in detail
    assert client.get(correct_url(person)).status_code == 403
    assert client.post(correct_url(person), page_data(person, given_names="X")).status_code == 403
    person.refresh_from_db()
    assert person.given_names == "Wendy Marisol"


def test_another_centre_gets_404(client, outsider, person):
    client.force_login(outsider)
    assert client.get(correct_url(person)).status_code == 404
    assert client.post(correct_url(person), page_data(person, given_names="X")).status_code == 404
    assert Person.objects.get(pk=person.pk).given_names == "Wendy Marisol"


# --- the API ------------------------------------------------------------------------------------


def api_url(person):
    return reverse("api-person-detail", args=[person.pk])


def patch(client, person, body, if_match='"1"'):
    headers = {"HTTP_IF_MATCH": if_match} if if_match else {}
    return client.patch(api_url(person), body, content_type="application/json", **headers)


def test_api_get_gives_the_version_and_patch_corrects(client_a, person):
    assert client_a.get(api_url(person))["ETag"] == '"1"'
    response = patch(client_a, person, {"phone": "5555 0404", "reason": "Número nuevo"})
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    assert response.json()["phone"] == "5555 0404"
    assert Correction.objects.get(person=person).changes[0]["after"] == "5555 0404"


@pytest.mark.parametrize(
    ("if_match", "body", "status", "field"),
    [
        ('"7"', {"phone": "5555 0404", "reason": "x"}, 412, None),
        (None, {"phone": "5555 0404", "reason": "x"}, 428, None),
        ("*", {"phone": "5555 0404", "reason": "x"}, 428, None),
        ('"1"', {"phone": "5555 0404"}, 400, "reason"),
        ('"1"', {"phone": "5555 0404", "reason": " "}, 400, "reason"),
        ('"1"', {"phone": "call me", "reason": "x"}, 400, "phone"),
        ('"1"', {"sex": "unknown", "reason": "x"}, 400, "sex"),
    ],
)
def test_api_refusals_change_nothing(client_a, person, if_match, body, status, field):
    response = patch(client_a, person, body, if_match=if_match)
    assert response.status_code == status
    if field:
        assert field in response.json()
    person.refresh_from_db()
    assert (person.phone, person.version) == ("+502 5555 0101", 1)
    assert not Correction.objects.exists()


def test_api_another_centre_gets_404_and_a_reader_403(client, outsider, manager, person):
    client.force_login(outsider)
    assert patch(client, person, {"phone": "5555 0404", "reason": "x"}).status_code == 404
    client.force_login(manager)
    assert patch(client, person, {"phone": "5555 0404", "reason": "x"}).status_code == 403
    person.refresh_from_db()
    assert person.version == 1
