"""Fixtures shared by reporting's tests."""

import pytest
from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient


@pytest.fixture
def donor(db):
    """A donor reviewer with the aggregate permission."""
    from casework.roles import DONOR_REVIEWER
    from casework.tests.factories import UserFactory

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


def release_fiscal_year(fy: int):
    """Publish a fiscal year's releases as the nightly job would: each quarter (with its months),
    then the year. The clock is frozen after FY2026's lag, whatever today is."""
    import time_machine

    from reporting.periods import fiscal_quarter, fiscal_year
    from reporting.releases import release_publish

    with time_machine.travel(RELEASED_ON, tick=False):
        for q in (1, 2, 3, 4):
            release_publish(period=fiscal_quarter(fy, q))
        return release_publish(period=fiscal_year(fy))


@pytest.fixture
def released():
    """Call released(2026) once the data is in: the fiscal year is published."""
    return release_fiscal_year
