"""Reference data held by each process: centres, countries, geography, document types, reasons,
the service catalogue. A few hundred rows that every request reads and an administrator
changes a few times a year.

An app registers its reference models when it starts (`reference_register`, AppConfig.ready).
The first read loads all rows of a model at once; later reads ask no query. A change saved or
deleted through the ORM empties this process's copy at once and bumps a version in the shared
cache (Redis in production); every other process compares that version at most every
REFERENCE_CACHE_SECONDS (5) and reloads when it moved. So an administrator's change shows in
their own process at once and everywhere within those seconds.

REFERENCE_CACHE_SECONDS = 0 turns the copy off: every read goes to the database, as the test
settings do so that a test sees exactly the rows its own transaction holds.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.db.models import Model, QuerySet
from django.db.models.signals import post_delete, post_save

M = TypeVar("M", bound=Model)

VERSION_KEY = "registry:reference-data-version"
_related: dict[type[Model], tuple[str, ...]] = {}  # model: the relations loaded with its rows
_rows: dict[type[Model], dict[Any, Model]] = {}
_by_field: dict[tuple[type[Model], str], dict[Any, Model]] = {}
_seen = {"version": None, "checked": float("-inf")}


def reference_register(model: type[Model], *, related: tuple[str, ...] = ()) -> None:
    """Hold this model's rows per process (with these relations loaded), watching its changes."""
    _related[model] = related
    uid = f"reference-cache-{model._meta.label_lower}"
    post_save.connect(reference_changed, sender=model, dispatch_uid=uid)
    post_delete.connect(reference_changed, sender=model, dispatch_uid=f"{uid}-delete")


def _seconds() -> float:
    return float(getattr(settings, "REFERENCE_CACHE_SECONDS", 5))


def _enabled(model: type[Model]) -> bool:
    return model in _related and _seconds() > 0


def reference_changed(**_signal: Any) -> None:
    """A reference row changed: forget this process's copy and tell the others."""
    reference_forget()
    caches[settings.THROTTLE_CACHE].set(VERSION_KEY, uuid.uuid4().hex, None)


def reference_forget() -> None:
    _rows.clear()
    _by_field.clear()
    _seen["checked"] = float("-inf")


def _current() -> None:
    """Drop the copy when another process changed the data (checked every few seconds)."""
    now = time.monotonic()
    if now - float(_seen["checked"] or 0) < _seconds():
        return
    version = caches[settings.THROTTLE_CACHE].get(VERSION_KEY)
    if version != _seen["version"]:
        _rows.clear()
        _by_field.clear()
        _seen["version"] = version
    _seen["checked"] = now


def _all(model: type[M]) -> dict[Any, M]:
    _current()
    rows = _rows.get(model)
    if rows is None:
        rows = _rows[model] = {row.pk: row for row in _loaded_with_related(model)}
    return rows  # type: ignore[return-value]


def _loaded_with_related(model: type[M]) -> QuerySet[M]:
    related = _related.get(model, ())
    manager = model._default_manager
    return manager.select_related(*related) if related else manager.all()


def reference_in_bulk(model: type[M], ids: Iterable[Any]) -> dict[Any, M]:
    """{pk: row} for these ids (unknown ids left out), as QuerySet.in_bulk answers."""
    wanted = set(ids)
    if not _enabled(model):
        return _loaded_with_related(model).in_bulk(wanted)
    rows = _all(model)
    return {pk: rows[pk] for pk in wanted if pk in rows}


def reference_get(
    model: type[M], field: str, value: Any, *, accept: Callable[[M], bool] | None = None
) -> M | None:
    """The row whose `field` equals `value` (a code, an ISO code), or None; `accept` refuses
    rows the caller may not use (an inactive document type, say) as if they did not exist."""
    if not _enabled(model):
        row = _loaded_with_related(model).filter(**{field: value}).first()
    else:
        _all(model)
        index = _by_field.get((model, field))
        if index is None:
            index = _by_field[(model, field)] = {getattr(r, field): r for r in _all(model).values()}
        row = index.get(value)  # type: ignore[assignment]
    if row is not None and accept is not None and not accept(row):
        return None
    return row
