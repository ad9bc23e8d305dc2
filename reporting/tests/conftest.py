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
