"""The client's address is read in one place (registry.client_address): REMOTE_ADDR, or behind
RETORNO_TRUSTED_PROXY_COUNT proxies the address the outermost one saw. The audit log and the API
throttles use it, so a client cannot write any address it likes into them with X-Forwarded-For.

Login lockouts through the proxy: tests/test_login_protection.py; the production settings read
the proxy count from the environment: tests/test_deploy_settings.py.
"""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from rest_framework.settings import api_settings
from rest_framework.test import APIClient, APIRequestFactory

from registry.api.sign_in_views import TokenApi
from registry.client_address import client_ip
from registry.tests.factories import PersonFactory
from reporting.api.views import AggregatesThrottle

pytestmark = pytest.mark.django_db

PROXY_IP = "172.18.0.2"
CLIENT_IP = "203.0.113.5"
FORGED = "192.0.2.66"


@pytest.fixture
def person(center_a):
    return PersonFactory(centers=[center_a])


def access_entry(person) -> LogEntry:
    return LogEntry.objects.get_for_object(person).get(action=LogEntry.Action.ACCESS)


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, CLIENT_IP, "", CLIENT_IP),
        (0, CLIENT_IP, FORGED, CLIENT_IP),  # no proxy: the header is the client's own words
        (1, PROXY_IP, CLIENT_IP, CLIENT_IP),
        (1, PROXY_IP, f"{FORGED}, {CLIENT_IP}", CLIENT_IP),
        (2, "10.0.0.2", f"{FORGED}, {CLIENT_IP}, 10.0.0.9", CLIENT_IP),
        (1, PROXY_IP, "", PROXY_IP),  # the proxy did not say: the address we know
        (1, PROXY_IP, "not-an-address", PROXY_IP),
        (1, PROXY_IP, " 2001:db8::7 ", "2001:db8::7"),
    ],
)
def test_client_ip(settings, rf, proxies, remote, forwarded, expected):
    settings.RETORNO_TRUSTED_PROXY_COUNT = proxies
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = rf.get("/", REMOTE_ADDR=remote, **headers)

    assert client_ip(request) == expected


def test_a_forged_forwarded_for_does_not_reach_the_access_log(client_a, person):
    response = client_a.get(
        reverse("person_detail", kwargs={"person_id": person.pk}),
        REMOTE_ADDR=CLIENT_IP,
        HTTP_X_FORWARDED_FOR=FORGED,
    )

    assert response.status_code == 200
    assert access_entry(person).remote_addr == CLIENT_IP


def test_behind_the_proxy_the_access_log_names_the_client(settings, client_a, person):
    settings.RETORNO_TRUSTED_PROXY_COUNT = 1

    client_a.get(
        reverse("person_detail", kwargs={"person_id": person.pk}),
        REMOTE_ADDR=PROXY_IP,
        HTTP_X_FORWARDED_FOR=f"{FORGED}, {CLIENT_IP}",
    )

    assert access_entry(person).remote_addr == CLIENT_IP


def test_an_api_read_logs_the_same_address(settings, caseworker, person):
    settings.RETORNO_TRUSTED_PROXY_COUNT = 1
    api = APIClient()
    api.force_authenticate(caseworker)

    response = api.get(
        reverse("api-person-detail", kwargs={"person_id": person.pk}),
        REMOTE_ADDR=PROXY_IP,
        HTTP_X_FORWARDED_FOR=f"{FORGED}, {CLIENT_IP}",
    )

    assert response.status_code == 200
    assert access_entry(person).remote_addr == CLIENT_IP


def test_a_garbage_forwarded_for_is_no_error(client_a, person):
    response = client_a.get(
        reverse("person_detail", kwargs={"person_id": person.pk}),
        REMOTE_ADDR=CLIENT_IP,
        HTTP_X_FORWARDED_FOR="<script>, :::",
    )

    assert response.status_code == 200
    assert access_entry(person).remote_addr == CLIENT_IP


@pytest.mark.parametrize(
    "throttle",
    [*api_settings.DEFAULT_THROTTLE_CLASSES, TokenApi.throttle_classes[0], AggregatesThrottle],
)
def test_api_throttles_count_per_client_not_per_forged_header(throttle):
    request = APIRequestFactory().get("/", REMOTE_ADDR=CLIENT_IP, HTTP_X_FORWARDED_FOR=FORGED)

    assert throttle().get_ident(request) == CLIENT_IP
