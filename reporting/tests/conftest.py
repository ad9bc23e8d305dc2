"""Fixtures shared by reporting's tests."""

import pytest
from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient


@pytest.fixture
def donor(db):
    """A donor reviewer with the aggregate permission."""
    from registry.roles import DONOR_REVIEWER
    from registry.tests.factories import UserFactory

    user = UserFactory(username="donor")
    user.groups.add(Group.objects.get(name=DONOR_REVIEWER))
    user.user_permissions.add(Permission.objects.get(codename="view_aggregates"))
    return user


@pytest.fixture
def donor_api(donor):
    client = APIClient()
    client.force_login(donor)
    return client


RELEASED_ON = "2027-01-20 12:00:00+00:00"  # FY2026 and its quarters closed, FY2027-Q1 not yet


def release(label: str, *, only: tuple[str, ...] | None = None):
    """Publish the release of a period (a quarter with its months, or a fiscal year with its
    quarters and months) as the nightly job would, the clock frozen after FY2026's lag whatever
    today is. `only`: the indicators offered (the others made inactive), to keep it quick."""
    import time_machine

    from reporting.models import Indicator
    from reporting.periods import period_parse
    from reporting.releases import release_publish

    if only is not None:
        Indicator.objects.exclude(code__in=only).update(active=False)
    with time_machine.travel(RELEASED_ON, tick=False):
        return release_publish(period=period_parse(label))


@pytest.fixture
def released():
    """Call released("FY2026-Q2", only=("received",)) once the data is in."""
    return release
