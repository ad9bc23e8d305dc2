"""Planner statistics the application keeps fresh itself, on PostgreSQL.

Autovacuum analyses a table once 50 rows (and a tenth of it) have changed since the last time,
so a table of a few rows, the reception centres above all, is never analysed: the planner then
guesses it holds many rows, and scopes a user's persons by reading the national registry first
(about ten times slower at 100,000 persons). The small tables that every scoped query joins
are analysed after each migration and, for the centres, after each change.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_migrate, post_save

from .models import (
    Country,
    ReceptionCenter,
    ReceptionCenterGroupObjectPermission,
    ReceptionCenterUserObjectPermission,
)

SMALL_TABLES = (
    ReceptionCenter,
    Country,
    ReceptionCenterUserObjectPermission,
    ReceptionCenterGroupObjectPermission,
)


def tables_analyse(models: tuple[Any, ...] = SMALL_TABLES) -> None:
    """ANALYZE these tables (cheap at their size); nothing on another database."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _after_migrate(**kwargs: Any) -> None:
    if kwargs.get("using", "default") == "default":
        tables_analyse()


def _centers_changed(**kwargs: Any) -> None:
    transaction.on_commit(lambda: tables_analyse((ReceptionCenter,)))


def connect(app_config: Any) -> None:
    post_migrate.connect(_after_migrate, sender=app_config, dispatch_uid="registry.planner")
    for signal in (post_save, post_delete):
        signal.connect(_centers_changed, sender=ReceptionCenter, dispatch_uid="registry.planner")
