"""Answers carrying personal data are never stored by a browser or a proxy; HTML pages refuse the
HTTP methods no HTML view handles (405), while the API keeps its own (PATCH).

The same two rules over every route and role: tests/access_matrix/test_matrix.py.
"""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from casework import actions
from intake.tests.factories import ArrivalFactory
from registry.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(center_a):
    return PersonFactory(centers=[center_a])


def not_stored(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_a_person_page_is_not_stored(client_a, person):
    response = client_a.get(reverse("person_detail", kwargs={"person_id": person.pk}))

    assert response.status_code == 200
    assert not_stored(response)


@pytest.mark.parametrize("auth", ["session", "token"])
def test_a_person_api_answer_is_not_stored(caseworker, person, auth):
    api = APIClient()
    if auth == "session":
        api.force_login(caseworker)
    else:
        token = Token.objects.create(user=caseworker)
        api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = api.get(reverse("api-person-detail", kwargs={"person_id": person.pk}))

    assert response.status_code == 200
    assert not_stored(response)


def test_static_files_stay_cacheable(settings, client_a):
    settings.WHITENOISE_USE_FINDERS = True  # whitenoise serves them as from STATIC_ROOT
    assert finders.find("css/retorno.css")

    response = client_a.get("/static/css/retorno.css")

    assert response.status_code == 200
    assert not not_stored(response)


@pytest.fixture
def html_pages(caseworker, person, center_a):
    arrival = ArrivalFactory(person=person, center=center_a, registered_by=caseworker)
    case = actions.case_open(actor=caseworker, person=person, center=center_a, arrival=arrival).case
    return {
        "person page": reverse("person_detail", kwargs={"person_id": person.pk}),
        "case page": reverse("cases:case_detail", kwargs={"pk": case.pk}),
        "intake list": reverse("intake:arrival_list"),
        "home": reverse("home"),
        "sign-in": reverse("login"),
    }


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "TRACE"])
@pytest.mark.parametrize("page", ["person page", "case page", "intake list", "home", "sign-in"])
def test_html_pages_refuse_methods_they_do_not_handle(client_a, html_pages, page, method):
    response = client_a.generic(method, html_pages[page])

    assert response.status_code == 405
    assert "PUT" not in response["Allow"]


def test_a_get_only_page_refuses_post(client_a, html_pages):
    assert client_a.post(html_pages["person page"]).status_code == 405


def test_the_api_keeps_its_methods(caseworker, person):
    api = APIClient()
    api.force_login(caseworker)
    url = reverse("api-person-detail", kwargs={"person_id": person.pk})

    assert api.get(url).status_code == 200
    assert api.delete(url).status_code == 405  # DRF's own answer: no such action on a person
