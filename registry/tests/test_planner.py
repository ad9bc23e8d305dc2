"""The planner statistics the application keeps itself (registry/planner.py): a table of a few
rows that autovacuum never analyses has statistics after a migration and after each change."""

import pytest
from django.core.management import call_command
from django.db import connection

from registry.models import ReceptionCenter
from registry.planner import SMALL_TABLES
from registry.tests.factories import ReceptionCenterFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="planner statistics are PostgreSQL's"
    ),
]


def rows_known(model) -> float:
    """What the planner believes the table holds (-1: never analysed)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table]
        )
        return cursor.fetchone()[0]


def forget_statistics(model) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE pg_class SET reltuples = -1 WHERE oid = %s::regclass", [model._meta.db_table]
        )


def test_a_new_centre_leaves_the_centres_analysed(django_capture_on_commit_callbacks):
    forget_statistics(ReceptionCenter)
    with django_capture_on_commit_callbacks(execute=True):
        ReceptionCenterFactory(code="NEW1")
    assert rows_known(ReceptionCenter) == ReceptionCenter.objects.count()


def test_a_migration_leaves_the_small_tables_analysed():
    for model in SMALL_TABLES:
        forget_statistics(model)
    call_command("migrate", verbosity=0)
    assert rows_known(ReceptionCenter) == ReceptionCenter.objects.count()
    assert all(rows_known(model) >= 0 for model in SMALL_TABLES)
