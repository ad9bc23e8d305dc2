"""The API's own sign-in: a token that expires, is revoked on sign-out, deactivation and password
change, and goes through the same lockout and sign-in log as the sign-in page. Without valid
credentials the API answers 401 with WWW-Authenticate ("sign in again"), never 403.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
CASES_URL = "/api/v1/cases/"
PASSWORD = "correct-horse-battery"
TABLET_IP = "10.20.0.7"


def sign_in(username="caseworker_a", password=PASSWORD, **extra):
    return APIClient().post(
        TOKEN_URL,
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=TABLET_IP,
        HTTP_ACCEPT_LANGUAGE="en",
        **extra,
    )


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE="en")
    return client


def signed_in_client(username="caseworker_a") -> APIClient:
    response = sign_in(username)
    assert response.status_code == 200, response.content
    return with_token(response.json()["token"])


def assert_sign_in_again(response) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


# --- signing in -------------------------------------------------------------------------------


def test_sign_in_answers_a_token_that_opens_the_api(caseworker):
    response = sign_in()

    assert response.status_code == 200
    body = response.json()
    assert Token.objects.get(user=caseworker).key == body["token"]
    expires_at = timezone.datetime.fromisoformat(body["expires_at"])
    expected = timezone.now() + timedelta(hours=settings.API_TOKEN_LIFETIME_HOURS)
    assert abs(expires_at - expected) < timedelta(minutes=1)
    assert with_token(body["token"]).get(CASES_URL).status_code == 200


def test_sign_in_is_logged_like_the_sign_in_page(caseworker):
    sign_in()

    log = AccessLog.objects.get(username="caseworker_a")
    assert log.ip_address == TABLET_IP
    assert log.path_info == TOKEN_URL
    caseworker.refresh_from_db()
    assert caseworker.last_login is not None


def test_sign_in_leaves_no_session_behind(caseworker):
    response = sign_in()

    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    ("username", "password"), [("caseworker_a", "wrong password"), ("nobody", PASSWORD)]
)
def test_wrong_credentials_are_one_translated_400(caseworker, username, password):
    response = sign_in(username, password)

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Unable to sign in with this user name and password."]
    }
    assert not Token.objects.exists()


def test_an_inactive_user_cannot_sign_in(caseworker):
    caseworker.is_active = False
    caseworker.save()

    assert sign_in().status_code == 400


def test_signing_in_again_replaces_the_previous_token(caseworker):
    first = sign_in().json()["token"]
    second = sign_in().json()["token"]

    assert first != second
    assert_sign_in_again(with_token(first).get(CASES_URL))
    assert with_token(second).get(CASES_URL).status_code == 200


def test_signing_in_works_with_a_stale_token_in_the_headers(caseworker):
    response = sign_in(HTTP_AUTHORIZATION="Token no-longer-valid")

    assert response.status_code == 200


# --- the lockout and the throttle -------------------------------------------------------------


def test_repeated_failures_lock_the_api_sign_in_with_json_and_retry_after(caseworker):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(password="wrong password")

    response = sign_in()

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert "too many failed attempts" in response.json()["detail"]
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert not Token.objects.exists()


def test_api_failures_lock_the_sign_in_page_too(client, caseworker):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(password="wrong password")

    response = client.post(
        reverse("login"), {"username": "caseworker_a", "password": PASSWORD}, REMOTE_ADDR=TABLET_IP
    )

    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]


def test_a_success_resets_the_failures(caseworker):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(password="wrong password")

    assert sign_in().status_code == 200
    assert not AccessAttempt.objects.exists()


def test_sign_ins_are_throttled_per_address(caseworker, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "sign_in", "3/hour")
    for _attempt in range(3):
        assert sign_in().status_code == 200

    response = sign_in()

    assert response.status_code == 429
    assert "Retry-After" in response


# --- expiry, sign-out and revocation ----------------------------------------------------------


def test_an_expired_token_answers_401_sign_in_again(caseworker):
    api = signed_in_client()
    Token.objects.update(
        created=timezone.now() - timedelta(hours=settings.API_TOKEN_LIFETIME_HOURS, seconds=1)
    )

    response = api.get(CASES_URL)

    assert_sign_in_again(response)
    assert response.json()["detail"] == "Your sign-in has expired. Sign in again."
    assert not Token.objects.exists()


def test_a_token_just_within_its_lifetime_still_works(caseworker):
    api = signed_in_client()
    Token.objects.update(
        created=timezone.now() - timedelta(hours=settings.API_TOKEN_LIFETIME_HOURS, seconds=-60)
    )

    assert api.get(CASES_URL).status_code == 200


def test_the_lifetime_is_a_setting(caseworker, settings):
    settings.API_TOKEN_LIFETIME_HOURS = 1
    api = signed_in_client()
    Token.objects.update(created=timezone.now() - timedelta(hours=1, seconds=1))

    assert_sign_in_again(api.get(CASES_URL))


def test_sign_out_revokes_the_token(caseworker):
    api = signed_in_client()

    assert api.delete(TOKEN_URL).status_code == 204
    assert_sign_in_again(api.get(CASES_URL))
    assert not Token.objects.exists()


def test_deactivating_a_user_revokes_their_token(caseworker):
    api = signed_in_client()

    caseworker.is_active = False
    caseworker.save()

    assert not Token.objects.filter(user=caseworker).exists()
    assert_sign_in_again(api.get(CASES_URL))


def test_changing_the_password_revokes_the_token(caseworker):
    api = signed_in_client()

    caseworker.set_password("another-long-password")
    caseworker.save()

    assert_sign_in_again(api.get(CASES_URL))


def test_other_saves_of_the_user_keep_the_token(caseworker):
    api = signed_in_client()

    caseworker.first_name = "Ana"
    caseworker.save()

    assert api.get(CASES_URL).status_code == 200


def test_signing_out_of_the_web_pages_keeps_the_tablet_token(client, caseworker):
    api = signed_in_client()
    client.force_login(caseworker)

    client.post(reverse("logout"))

    assert api.get(CASES_URL).status_code == 200


# --- 401 "sign in again" versus 403/404 "not allowed" -----------------------------------------


@pytest.mark.parametrize("header", [None, "Token unknown-key", "Token", "Token a b"])
def test_no_valid_credentials_answer_401_with_www_authenticate(db, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)

    assert_sign_in_again(client.get(CASES_URL))


def test_a_signed_in_user_refused_still_gets_403(caseworker):
    response = signed_in_client().get("/api/v1/aggregates/")

    assert response.status_code == 403
    assert "WWW-Authenticate" not in response


def test_the_schema_documents_the_token_endpoint(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operations = schema["paths"]["/api/v1/auth/token/"]

    assert {"200", "400", "429"} <= set(operations["post"]["responses"])
    assert "security" not in operations["post"]
    assert {"204", "401"} <= set(operations["delete"]["responses"])
