"""The page layout, sign-in and the home page: language switch, navigation, centres, errors."""

import pytest
from django import forms
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from ..models import Country, DocumentType
from .factories import ReceptionCenterFactory, UserFactory


@pytest.fixture(autouse=True)
def reference_data(db):
    # Until the reference data migration lands; harmless after it.
    Country.objects.get_or_create(
        iso2="GT", defaults={"name": "Guatemala", "is_programme_country": True}
    )
    DocumentType.objects.get_or_create(code="passport", defaults={"name": "Pasaporte"})


def test_home_requires_login(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_home_lists_own_centres_only(client_a, center_a, center_b):
    response = client_a.get(reverse("home"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Centro A" in content
    assert "Centro B" not in content


def test_home_without_centre_explains_what_to_do(client, db):
    client.force_login(UserFactory(username="nobody"))
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response.context["parts"] == []
    assert (
        "You are not assigned to a reception centre. Ask your supervisor or administrator."
        in response.content.decode()
    )


def test_inactive_centre_is_not_listed(client, db):
    closed = ReceptionCenterFactory(code="CLOSED", active=False)
    client.force_login(UserFactory(username="closed_only", centers=[closed]))

    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.context["parts"] == []
    assert "You are not assigned to a reception centre." in response.content.decode()


def test_layout_has_skip_link_logout_form_and_deferred_htmx(client_a):
    response = client_a.get(reverse("home"))
    content = response.content.decode()

    assert 'href="#main"' in content
    assert '<main id="main"' in content
    assert f'action="{reverse("logout")}" method="post"' in content
    assert 'name="csrfmiddlewaretoken"' in content
    assert 'src="/static/vendor/htmx/htmx.min.js" defer' in content
    assert "caseworker_a" in content


def test_language_switch_remembers_choice(client_a):
    response = client_a.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    content = client_a.get(reverse("home")).content.decode()
    assert '<html lang="en">' in content
    assert ">Home</a>" in content

    response = client_a.post(reverse("set_language"), {"language": "es", "next": reverse("home")})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    content = client_a.get(reverse("home")).content.decode()
    assert '<html lang="es">' in content
    assert ">Inicio</a>" in content


def test_language_switch_works_signed_out_and_offers_both_languages(client, db):
    content = client.get(reverse("login")).content.decode()

    assert '<html lang="es">' in content  # Spanish is the default
    assert f'action="{reverse("set_language")}" method="post"' in content
    assert 'name="language" value="es"' in content
    assert 'name="language" value="en"' in content
    assert ">Español</button>" in content
    assert ">English</button>" in content


def test_login_page_signs_in_and_goes_home(client, caseworker):
    response = client.post(
        reverse("login"), {"username": "caseworker_a", "password": "correct-horse-battery"}
    )

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_failed_login_shows_error_summary(client, caseworker):
    response = client.post(
        reverse("login"),
        {"username": "caseworker_a", "password": "wrong"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert 'class="error-summary" role="alert"' in content
    assert "There is a problem" in content
    assert "Please enter a correct" in content


def test_login_field_errors_are_linked_and_described(client, db):
    response = client.post(reverse("login"), {"username": "", "password": ""})
    content = response.content.decode()

    assert 'href="#id_username"' in content
    assert 'id="id_username_error"' in content
    assert 'aria-describedby="id_username_error"' in content
    assert 'aria-invalid="true"' in content


def test_too_many_failures_show_locked_out_page(client, caseworker):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": "caseworker_a", "password": "wrong"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    response = client.post(
        reverse("login"),
        {"username": "caseworker_a", "password": "correct-horse-battery"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert "too many failed attempts" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_unknown_page_uses_the_404_page(client_a):
    response = client_a.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_500_page_renders_without_context():
    content = render_to_string("500.html")

    assert "Retorno" in content
    assert "retorno.css" in content


class SampleForm(forms.Form):
    name = forms.CharField(label="Name", help_text="As on the document.")
    nickname = forms.CharField(label="Nickname", required=False)
    agrees = forms.BooleanField(label="Agrees", help_text="Tick if yes.")
    mode = forms.ChoiceField(
        label="Mode", choices=[("air", "Air"), ("land", "Land")], widget=forms.RadioSelect
    )


def test_form_field_include_links_help_and_errors_to_the_input():
    form = SampleForm(data={"name": "", "mode": "sea"})
    html = "".join(render_to_string("includes/form_field.html", {"field": field}) for field in form)
    summary = render_to_string("includes/error_summary.html", {"form": form})

    assert '<label class="field__label" for="id_name">' in html
    assert 'id="id_name_helptext"' in html
    assert 'id="id_name_error"' in html
    assert 'aria-describedby="id_name_helptext id_name_error"' in html
    assert "(optional)" in html  # nickname is marked as optional, not the required fields
    assert html.count("(optional)") == 1
    assert 'aria-describedby="id_agrees_helptext id_agrees_error"' in html
    assert "<fieldset" in html and '<legend class="field__label">Mode' in html
    assert 'href="#id_name"' in summary
    assert 'href="#id_mode"' in summary


def test_form_field_include_escapes_values():
    form = SampleForm(data={"name": '"><script>x()</script>', "mode": "air"})

    html = render_to_string("includes/form_field.html", {"field": form["name"]})

    assert "<script>x()</script>" not in html
