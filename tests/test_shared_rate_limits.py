"""Rate limits (the API's throttles, the export jobs) count per user across every web process and
worker: they live in a shared cache of their own alias, Redis in production and the database in
the embedded default, never in one process's memory.
"""

import secrets
import socket
import uuid
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.test import RequestFactory

from config.settings.base import shared_cache
from registry.roles import DONOR_REVIEWER
from registry.tests.factories import UserFactory
from registry.throttling import UserLimit
from reporting.api.views import AggregatesThrottle, AggregateTableApi

DATABASE_CACHE = shared_cache("db://")
REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def database_cache(settings):
    """The embedded default's throttle cache (the test settings count in memory)."""
    settings.CACHES = {**settings.CACHES, settings.THROTTLE_CACHE: DATABASE_CACHE}
    return caches[settings.THROTTLE_CACHE]


def worker():
    """A cache connection of its own, as another gunicorn worker or Celery process has."""
    return caches.create_connection(settings.THROTTLE_CACHE)


def _pull(throttle, user) -> bool:
    request = RequestFactory().get("/api/v1/aggregates/received/")
    request.user = user
    return throttle.allow_request(request, AggregateTableApi())


@pytest.mark.django_db
def test_two_workers_share_the_donor_api_count(database_cache, monkeypatch):
    monkeypatch.setitem(AggregatesThrottle.THROTTLE_RATES, "aggregates", "3/hour")
    donor = UserFactory(username="donor_two_workers")
    donor.groups.add(Group.objects.get(name=DONOR_REVIEWER))
    first, second = AggregatesThrottle(), AggregatesThrottle()
    first.cache, second.cache = worker(), worker()

    answers = [_pull(first, donor), _pull(second, donor), _pull(first, donor)]

    assert answers == [True, True, True]
    assert not _pull(second, donor), "the second worker did not see the first one's pulls"
    assert not _pull(first, donor)
    assert _pull(second, UserFactory(username="another_donor")), "counted per user"


@pytest.mark.django_db
def test_two_workers_share_the_export_count(database_cache, monkeypatch):
    monkeypatch.setitem(UserLimit.THROTTLE_RATES, "exports", "2/hour")
    donor = SimpleNamespace(pk=41)
    first, second = UserLimit("exports"), UserLimit("exports")
    first.cache, second.cache = worker(), worker()

    assert [first.take(donor), second.take(donor)] == [True, True]
    assert not first.take(donor) and not second.take(donor)


def test_every_throttle_counts_in_the_shared_cache():
    request = RequestFactory().get("/")
    for throttle in (AggregatesThrottle(), UserLimit("exports")):
        assert throttle.cache is caches[settings.THROTTLE_CACHE]
    from django.utils.module_loading import import_string

    for path in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]:
        throttle = import_string(path)()
        assert throttle.cache is caches[settings.THROTTLE_CACHE], path
        assert throttle.get_ident(request) == "127.0.0.1"


def test_the_embedded_default_counts_in_the_database_and_redis_when_named():
    assert shared_cache("") == DATABASE_CACHE
    assert DATABASE_CACHE["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert shared_cache("redis://redis:6379/1") == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://redis:6379/1",
    }
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        shared_cache("locmem://")


@pytest.mark.django_db
def test_the_migrations_make_the_database_cache_table(database_cache):
    assert isinstance(database_cache, DatabaseCache)
    database_cache.set("probe", 1)
    assert worker().get("probe") == 1


# --- separate processes, as deployed --------------------------------------------------------

TAKE_ONE = """
from types import SimpleNamespace
from django.conf import settings
from registry.throttling import UserLimit

UserLimit.THROTTLE_RATES["{scope}"] = "2/hour"
print(settings.CACHES[settings.THROTTLE_CACHE]["BACKEND"], UserLimit("{scope}").take(SimpleNamespace(pk=7)))
"""


def _redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis on 127.0.0.1:6379")
def test_separate_production_processes_share_the_count_in_redis(run_manage):
    script = TAKE_ONE.format(scope=f"test_{uuid.uuid4().hex}")
    answers = []
    for _process in range(3):
        result = run_manage(
            "shell",
            "--verbosity=0",
            "-c",
            script,
            DJANGO_SETTINGS_MODULE="config.settings.production",
            DJANGO_ALLOWED_HOSTS="retorno.example.org",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
            CACHE_URL=REDIS_URL,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        answers.append(result.stdout.split())
    backend = "django.core.cache.backends.redis.RedisCache"
    assert answers == [[backend, "True"], [backend, "True"], [backend, "False"]]


def test_a_per_process_throttle_cache_fails_the_deployment_check(settings):
    from registry.checks import rate_limits_are_shared

    settings.CACHES = {**settings.CACHES, settings.THROTTLE_CACHE: DATABASE_CACHE}
    assert rate_limits_are_shared() == []
    locmem = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    settings.CACHES = {**settings.CACHES, settings.THROTTLE_CACHE: locmem}
    assert [error.id for error in rate_limits_are_shared()] == ["retorno.E001"]
