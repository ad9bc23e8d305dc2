"""Sign-in is locked per username and address after too many failures, and opens after the cool-off.

The lockout page itself is tested in casework/tests/test_views_layout.py
(test_too_many_failures_show_locked_out_page); the idle timeout and the absolute session lifetime
in casework/tests/test_session.py (test_idle_session_is_logged_out and the tests after it).
Behind the TLS proxy the address is the client's as the proxy saw it (registry.client_address;
the audit log and API throttles: tests/test_client_address.py).
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db.models import F
from django.urls import reverse

from registry.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
TABLET_IP = "10.20.0.7"  # the centre's tablets share one public address
OTHER_IP = "10.99.0.3"


@pytest.fixture
def users(center_a):
    return (
        UserFactory(username="caseworker_a", centers=[center_a]),
        UserFactory(username="colleague_a", centers=[center_a]),
    )


def sign_in(client, username: str, password: str, ip: str = TABLET_IP, **headers):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **headers
    )


def fail(client, username: str, times: int, ip: str = TABLET_IP, **headers) -> None:
    for _attempt in range(times):
        response = sign_in(client, username, "wrong password", ip, **headers)
        assert response.status_code in (200, 429)


def signed_in(response, client) -> bool:
    return response.status_code == 302 and SESSION_KEY in client.session


def age_attempts(by: timedelta) -> None:
    """Move the recorded failures back in time, as if `by` had passed."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - by)


def test_one_failure_short_of_the_limit_still_signs_in(client, users):
    fail(client, "caseworker_a", settings.AXES_FAILURE_LIMIT - 1)

    assert signed_in(sign_in(client, "caseworker_a", PASSWORD), client)


def test_the_limit_locks_the_user_out_even_with_the_right_password(client, users):
    fail(client, "caseworker_a", settings.AXES_FAILURE_LIMIT)

    response = sign_in(client, "caseworker_a", PASSWORD)

    assert response.status_code == 429
    assert SESSION_KEY not in client.session


def test_a_colleague_on_the_same_tablet_address_is_not_locked(client, users):
    fail(client, "caseworker_a", settings.AXES_FAILURE_LIMIT)

    assert signed_in(sign_in(client, "colleague_a", PASSWORD), client)


def test_the_same_user_from_another_address_is_not_locked(client, users):
    fail(client, "caseworker_a", settings.AXES_FAILURE_LIMIT)

    assert signed_in(sign_in(client, "caseworker_a", PASSWORD, ip=OTHER_IP), client)


def test_still_locked_just_before_the_cool_off_ends(client, users):
    fail(client, "caseworker_a", settings.AXES_FAILURE_LIMIT)
    age_attempts(settings.AXES_COOLOFF_TIME - timedelta(minutes=1))

    assert sign_in(client, "caseworker_a", PASSWORD).status_code == 429


def test_unlocked_after_the_cool_off(client, users):
    fail(client, "caseworker_a", settings.AXES_FAILURE_LIMIT)
    age_attempts(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))

    assert signed_in(sign_in(client, "caseworker_a", PASSWORD), client)


def test_failures_spread_over_more_than_the_cool_off_do_not_add_up(client, users):
    fail(client, "caseworker_a", settings.AXES_FAILURE_LIMIT - 1)
    age_attempts(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
    fail(client, "caseworker_a", 1)

    assert signed_in(sign_in(client, "caseworker_a", PASSWORD), client)


def test_a_successful_sign_in_resets_the_count(client, users):
    fail(client, "caseworker_a", settings.AXES_FAILURE_LIMIT - 1)
    assert signed_in(sign_in(client, "caseworker_a", PASSWORD), client)
    client.post(reverse("logout"))

    fail(client, "caseworker_a", settings.AXES_FAILURE_LIMIT - 1)

    assert signed_in(sign_in(client, "caseworker_a", PASSWORD), client)


# --- behind the TLS proxy (production: RETORNO_TRUSTED_PROXY_COUNT=1) -------------------------

PROXY_IP = "172.18.0.2"  # every request reaches gunicorn from the proxy
ATTACKER_IP = "203.0.113.5"
CASEWORKER_IP = "198.51.100.7"


def via_proxy(client_ip: str, sent_by_client: str = "") -> dict:
    """The headers the proxy passes on: it appends the address it saw to X-Forwarded-For."""
    forwarded = f"{sent_by_client}, {client_ip}" if sent_by_client else client_ip
    return {"ip": PROXY_IP, "HTTP_X_FORWARDED_FOR": forwarded}


@pytest.fixture
def behind_one_proxy(settings):
    settings.RETORNO_TRUSTED_PROXY_COUNT = 1


def test_failures_from_one_client_do_not_lock_out_the_user_elsewhere(
    client, users, behind_one_proxy
):
    fail(client, "caseworker_a", settings.AXES_FAILURE_LIMIT, **via_proxy(ATTACKER_IP))

    assert signed_in(sign_in(client, "caseworker_a", PASSWORD, **via_proxy(CASEWORKER_IP)), client)


def test_failures_from_one_client_lock_that_client_out(client, users, behind_one_proxy):
    fail(client, "caseworker_a", settings.AXES_FAILURE_LIMIT, **via_proxy(ATTACKER_IP))

    assert sign_in(client, "caseworker_a", PASSWORD, **via_proxy(ATTACKER_IP)).status_code == 429


def test_a_client_cannot_escape_the_lockout_by_sending_its_own_forwarded_for(
    client, users, behind_one_proxy
):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        headers = via_proxy(ATTACKER_IP, sent_by_client=f"192.0.2.{attempt}")
        sign_in(client, "caseworker_a", "wrong password", **headers)

    response = sign_in(
        client, "caseworker_a", PASSWORD, **via_proxy(ATTACKER_IP, sent_by_client=CASEWORKER_IP)
    )

    assert response.status_code == 429


def test_without_a_trusted_proxy_a_forwarded_for_header_is_ignored(client, users):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        headers = {"HTTP_X_FORWARDED_FOR": f"192.0.2.{attempt}"}
        sign_in(client, "caseworker_a", "wrong password", **headers)

    response = sign_in(client, "caseworker_a", PASSWORD, HTTP_X_FORWARDED_FOR=CASEWORKER_IP)

    assert response.status_code == 429
