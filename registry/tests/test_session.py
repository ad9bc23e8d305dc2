"""Sessions end after an idle period and after an absolute lifetime; logging out ends them at once."""

from unittest.mock import patch

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from ..models import Country

T0 = 1_800_000_000.0
IDLE = 100
ABSOLUTE = 300


@pytest.fixture(autouse=True)
def short_lifetimes(settings, db):
    settings.SESSION_IDLE_TIMEOUT = IDLE
    settings.SESSION_ABSOLUTE_LIFETIME = ABSOLUTE
    # Until the reference data migration lands; harmless after it.
    Country.objects.get_or_create(
        iso2="GT", defaults={"name": "Guatemala", "is_programme_country": True}
    )


def home_at(client, seconds_after_start: float):
    with patch("registry.middleware.time.time", return_value=T0 + seconds_after_start):
        return client.get(reverse("home"))


def assert_signed_out(response, client) -> None:
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert SESSION_KEY not in client.session


def test_idle_session_is_logged_out(client_a):
    assert home_at(client_a, 0).status_code == 200

    assert_signed_out(home_at(client_a, IDLE + 1), client_a)


def test_active_session_stays_signed_in(client_a):
    for seconds in (0, IDLE - 10, 2 * (IDLE - 10), 3 * (IDLE - 10)):
        assert home_at(client_a, seconds).status_code == 200


def test_absolute_lifetime_ends_even_an_active_session(client_a):
    seconds = 0
    while seconds <= ABSOLUTE:
        assert home_at(client_a, seconds).status_code == 200
        seconds += IDLE - 10

    assert_signed_out(home_at(client_a, seconds), client_a)


def test_signing_in_again_starts_a_new_lifetime(client, caseworker):
    client.force_login(caseworker)
    home_at(client, 0)
    assert_signed_out(home_at(client, ABSOLUTE + 1), client)

    with patch("registry.middleware.time.time", return_value=T0 + ABSOLUTE + 2):
        client.post(
            reverse("login"), {"username": "caseworker_a", "password": "correct-horse-battery"}
        )
    assert home_at(client, ABSOLUTE + 50).status_code == 200


def test_the_idle_clock_is_renewed_at_most_once_a_renewal_interval(client_a, settings):
    """Under a rush every page view wrote the session row; now one in SESSION_RENEW_SECONDS
    does, and the idle timeout still counts from the last renewal."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.SESSION_RENEW_SECONDS = 30
    home_at(client_a, 0)

    with CaptureQueriesContext(connection) as within:
        assert home_at(client_a, 29).status_code == 200
    with CaptureQueriesContext(connection) as after:
        assert home_at(client_a, 30).status_code == 200

    def saves(queries):
        return [q for q in queries if "UPDATE" in q["sql"] and "django_session" in q["sql"]]

    assert saves(within.captured_queries) == []
    assert len(saves(after.captured_queries)) == 1
    # Renewed at 30 (not at 29): idle from 30, so still signed in at 30 + IDLE - 1.
    assert home_at(client_a, 30 + IDLE - 1).status_code == 200
    assert_signed_out(home_at(client_a, 30 + IDLE - 1 + IDLE + 1), client_a)


def test_logout_post_clears_the_session(client_a):
    assert home_at(client_a, 0).status_code == 200

    response = client_a.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url == reverse("login")
    assert SESSION_KEY not in client_a.session
    assert "retorno_last_seen" not in client_a.session
    assert client_a.get(reverse("home")).status_code == 302


def test_logout_by_get_is_refused(client_a):
    assert client_a.get(reverse("logout")).status_code == 405
    assert client_a.get(reverse("home")).status_code == 200
