"""A supervisor reads who viewed and changed a person's record; others get 404."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from .factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(center_a):
    user = UserFactory(username="supervisora", centers=[center_a])
    user.groups.add(Group.objects.get(name="supervisor"))
    return user


def test_supervisor_sees_views_and_changes_of_a_record(client, supervisor, caseworker, center_a):
    person = PersonFactory(centers=[center_a])
    client.force_login(caseworker)
    client.get(reverse("person_detail", args=[person.pk]))
    client.force_login(supervisor)
    page = client.get(reverse("person_access_log", args=[person.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    body = page.content.decode()
    assert "caseworker_a" in body  # the caseworker's view is listed
    assert "access" in body and "create" in body


def test_caseworker_without_the_role_gets_404(client_a, center_a):
    person = PersonFactory(centers=[center_a])
    assert client_a.get(reverse("person_access_log", args=[person.pk])).status_code == 404


def test_supervisor_of_another_centre_gets_404(client, center_b, center_a):
    other = UserFactory(username="sup_b", centers=[center_b])
    other.groups.add(Group.objects.get(name="supervisor"))
    person = PersonFactory(centers=[center_a])
    client.force_login(other)
    assert client.get(reverse("person_access_log", args=[person.pk])).status_code == 404
