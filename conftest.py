"""Standing test actors: a caseworker at centre A, a colleague at A, the supervisor of A, an
outsider at centre B."""

import os
from datetime import UTC, datetime

import pytest

# schemathesis' fuzz items are collected by pytest-xdist's workers but never run there (the run
# reports 3 of its 91 items): `make test` runs the file again in a process of its own.
SINGLE_PROCESS_TESTS = {"test_api_fuzz.py"}


def pytest_collection_modifyitems(config, items):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    kept, left = [], []
    for item in items:
        (left if item.path.name in SINGLE_PROCESS_TESTS else kept).append(item)
    if left:
        items[:] = kept
        config.hook.pytest_deselected(items=left)


# Mid-month, mid-day at every centre (UTC-6): "today", "this month" and "the last hour" are the
# same day and month whatever the real clock says.
FROZEN_NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Every test starts with no request counted against any rate limit."""
    from django.conf import settings
    from django.core.cache import caches

    caches[settings.THROTTLE_CACHE].clear()


@pytest.fixture
def center_a(db):
    from registry.tests.factories import ReceptionCenterFactory

    return ReceptionCenterFactory(code="CA", name_es="Centro A", name_en="Centre A")


@pytest.fixture
def center_b(db):
    from registry.tests.factories import ReceptionCenterFactory

    return ReceptionCenterFactory(code="CB", name_es="Centro B", name_en="Centre B")


@pytest.fixture
def caseworker(center_a):
    from registry.tests.factories import UserFactory

    return UserFactory(username="caseworker_a", centers=[center_a])


@pytest.fixture
def colleague(center_a):
    from registry.tests.factories import UserFactory

    return UserFactory(username="colleague_a", centers=[center_a])


@pytest.fixture
def outsider(center_b):
    from registry.tests.factories import UserFactory

    return UserFactory(username="caseworker_b", centers=[center_b])


@pytest.fixture
def supervisor(center_a):
    """The supervisor of centre A."""
    from django.contrib.auth.models import Group

    from registry.roles import SUPERVISOR
    from registry.tests.factories import UserFactory

    user = UserFactory(username="supervisor_a", centers=[center_a])
    user.groups.add(Group.objects.get(name=SUPERVISOR))
    return user


@pytest.fixture
def client_a(client, caseworker):
    client.force_login(caseworker)
    return client


@pytest.fixture
def eager():
    """Celery tasks run in-process, as in the embedded default, even when CI sets a broker."""
    from config.celery import app

    saved = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture
def frozen_clock():
    """The clock starts at FROZEN_NOW and ticks from there, for tests about "today"."""
    import time_machine

    with time_machine.travel(FROZEN_NOW, tick=True) as traveller:
        yield traveller
