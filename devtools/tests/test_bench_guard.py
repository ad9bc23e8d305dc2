"""`make bench BENCH_SUITE_DB=<any name>`: the bench runs on an empty database or one it filled,
and refuses one that holds other persons (it deletes and regenerates rows)."""

import pytest
from django.core.management.base import CommandError

from devtools.management.commands.bench import _bench_database_check
from devtools.synthetic import synthetic_user
from registry.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_an_empty_database_of_any_name_is_accepted():
    _bench_database_check()


def test_a_database_with_other_persons_is_refused():
    PersonFactory()
    with pytest.raises(CommandError, match="did not make"):
        _bench_database_check()


def test_a_database_the_generator_filled_is_accepted():
    synthetic_user()
    PersonFactory(created_by=synthetic_user())
    _bench_database_check()
