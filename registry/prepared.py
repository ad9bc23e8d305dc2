"""Hot reads compiled once per process: the queryset of a prepared read is built and compiled to
SQL at its first use for a shape of values; later calls bind their values into that SQL.

Building and compiling a queryset costs about as much CPU as the database spends answering it
(issue 15: two fifths of the person page's CPU was the ORM compiling its queries). A read
declared with `@prepared` is a function of keyword values only (ids, dates, tuples of ids, a
frozen dataclass of those), returning a QuerySet:

    @prepared
    def person_consents(*, person_id: uuid.UUID) -> QuerySet[Consent]:
        return Consent.objects.filter(person_id=person_id).select_related("recorded_by")

    person_consents(person_id=person.pk)  # -> list[Consent]

A build may branch on a value's shape (None or not, a tuple empty or not), never on the value
itself: it sees markers, not the caller's values.

The first call of a shape (which values are given, how long each tuple is, the value of each
bool or None, the database, the active language and time zone) builds the queryset twice with
marker values, compiles both and keeps the SQL and where each value goes. The two builds must
give the same SQL with the markers in the same places: a build that reads anything besides its
values (the clock, a setting, a row) is refused at once (ImproperlyConfigured) rather than
answering from what it read the first time. Prefetches, `only`, annotations, window functions
and slices work as in the queryset; `count()`, `exists()` and aggregates are not prepared.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import functools
import secrets
import threading
import uuid
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.utils import timezone, translation

R = TypeVar("R")

# Beyond this many shapes of one read (tuples of every length, say), calls are built as usual.
SHAPES_PER_READ = 64

_SCALARS = (uuid.UUID, int, str, datetime.date)  # a datetime is a date


def _shape(value: Any) -> Any:
    """What of a value the SQL depends on: its kind, a tuple's length, a bool or None itself."""
    if value is None or isinstance(value, bool):
        return ("const", value)
    if isinstance(value, _SCALARS):
        return type(value).__name__
    if isinstance(value, tuple):
        return ("tuple", tuple(_shape(item) for item in value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__qualname__,
            tuple((f.name, _shape(getattr(value, f.name))) for f in dataclasses.fields(value)),
        )
    raise TypeError(f"a prepared read cannot take {type(value).__name__} values")


def _marked(value: Any, markers: dict[Any, tuple[Any, ...]], path: tuple[Any, ...]) -> Any:
    """The value with each scalar replaced by a marker of its kind, recorded in `markers`."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, tuple):
        return tuple(_marked(item, markers, (*path, index)) for index, item in enumerate(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _marked(getattr(value, f.name), markers, (*path, f.name))
            for f in dataclasses.fields(value)
        }
        return dataclasses.replace(value, **changes)  # type: ignore[type-var]
    marker: Any
    if isinstance(value, uuid.UUID):
        marker = uuid.uuid4()
    elif isinstance(value, int):
        # Within 32 bits: an integer column refuses a value out of its range before compiling.
        marker = 1_000_000_000 + secrets.randbelow(1_000_000_000)
    elif isinstance(value, str):
        marker = f"prepared:{uuid.uuid4().hex}"
    elif isinstance(value, datetime.datetime):
        marker = datetime.datetime(1001, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
            microseconds=secrets.randbelow(10**16)
        )
    else:  # a date
        marker = datetime.date(1001, 1, 1) + datetime.timedelta(days=secrets.randbelow(300_000))
    markers[marker] = path
    return marker


def _forms(marker: Any, alias: str) -> list[tuple[Any, Callable[[Any], Any]]]:
    """How a value may reach the parameters: as itself, or as the database adapter wrote it."""
    forms: list[tuple[Any, Callable[[Any], Any]]] = [(marker, _same)]
    if isinstance(marker, uuid.UUID):
        forms += [(marker.hex, _uuid_hex), (str(marker), str)]
    elif isinstance(marker, datetime.datetime):
        adapt = functools.partial(_adapted, alias, "adapt_datetimefield_value")
        forms.append((adapt(marker), adapt))
    elif isinstance(marker, datetime.date):
        adapt = functools.partial(_adapted, alias, "adapt_datefield_value")
        forms.append((adapt(marker), adapt))
    return forms


def _same(value: Any) -> Any:
    return value


def _uuid_hex(value: uuid.UUID) -> str:
    return value.hex


def _adapted(alias: str, adapter: str, value: Any) -> Any:
    """The value as the database's operations write it (SQLite: text; PostgreSQL: itself)."""
    return getattr(connections[alias].ops, adapter)(value)


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step] if isinstance(step, int) else getattr(value, step)
    return value


@dataclasses.dataclass(frozen=True)
class _Compiled:
    queryset: QuerySet[Any] | None  # None: the values select nothing (an empty tuple of ids)
    compiler: Any = None
    sql: str = ""
    params: tuple[Any, ...] = ()
    slots: tuple[tuple[int, str, tuple[Any, ...], Callable[[Any], Any]], ...] = ()


class Prepared(Generic[R]):
    """A read compiled once per shape; calling it answers the list of rows."""

    def __init__(self, build: Callable[..., QuerySet[R]]) -> None:
        functools.update_wrapper(self, build)
        self.build = build
        self._compiled: dict[Any, _Compiled] = {}
        self._lock = threading.Lock()

    def __call__(self, **values: Any) -> list[R]:
        alias = DEFAULT_DB_ALIAS  # one database: reads and writes
        key = (
            alias,
            translation.get_language(),
            timezone.get_current_timezone_name(),
            tuple(sorted((name, _shape(value)) for name, value in values.items())),
        )
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compile(alias, values)
            with self._lock:
                if len(self._compiled) >= SHAPES_PER_READ:
                    return list(self.build(**values))
                self._compiled[key] = compiled
        if compiled.queryset is None:
            return []
        return list(self._bound(compiled, alias, values))

    def _compile(self, alias: str, values: dict[str, Any]) -> _Compiled:
        first = self._compile_marked(alias, values)
        second = self._compile_marked(alias, values)
        if (first.queryset is None) != (second.queryset is None) or (
            first.sql,
            [(i, name, path) for i, name, path, _form in first.slots],
            _unbound(first),
        ) != (
            second.sql,
            [(i, name, path) for i, name, path, _form in second.slots],
            _unbound(second),
        ):
            raise ImproperlyConfigured(
                f"{self.__qualname__}: the query depends on something besides its values"
            )
        return first

    def _compile_marked(self, alias: str, values: dict[str, Any]) -> _Compiled:
        markers: dict[Any, tuple[Any, ...]] = {}
        marked = {name: _marked(value, markers, (name,)) for name, value in values.items()}
        queryset = self.build(**marked)
        if queryset.db != alias:
            raise ImproperlyConfigured(f"{self.__qualname__}: reads the {queryset.db} database")
        compiler = queryset.query.get_compiler(using=alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return _Compiled(queryset=None)
        lookup = {
            form: (path, convert)
            for m, path in markers.items()
            for form, convert in _forms(m, alias)
        }
        slots = []
        found: set[tuple[Any, ...]] = set()
        for index, param in enumerate(params):
            try:
                hit = lookup.get(param)
            except TypeError:  # an unhashable parameter (a list for an array column)
                hit = None
            if hit is not None:
                path, convert = hit
                slots.append((index, path[0], path[1:], convert))
                found.add(path)
        missing = set(markers.values()) - found
        if missing:
            raise ImproperlyConfigured(
                f"{self.__qualname__}: {sorted(map(str, missing))} not bound as parameters"
            )
        return _Compiled(queryset, compiler, sql, tuple(params), tuple(slots))

    @staticmethod
    def _bound(compiled: _Compiled, alias: str, values: dict[str, Any]) -> QuerySet[Any]:
        params = list(compiled.params)
        for index, name, path, convert in compiled.slots:
            params[index] = convert(_at(values[name], path))
        bound = (compiled.sql, tuple(params))
        compiler = copy.copy(compiled.compiler)
        compiler.connection = connections[alias]  # this thread's connection
        compiler.as_sql = lambda *args, **kwargs: bound
        assert compiled.queryset is not None
        queryset = compiled.queryset._chain()
        queryset.query.get_compiler = lambda *args, **kwargs: compiler  # type: ignore[method-assign]
        return queryset


def _unbound(compiled: _Compiled) -> list[Any]:
    """The parameters no value fills: constants of the query, the same in every call."""
    bound = {index for index, *_rest in compiled.slots}
    return [param for index, param in enumerate(compiled.params) if index not in bound]


def prefetched(instance: Model, relation: str, rows: list[Any]) -> None:
    """Hand `rows`, read by a prepared read, to `instance` as prefetch_related would have
    (`instance.<relation>.all()` then answers them without a query)."""
    queryset = getattr(instance, relation).get_queryset()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache[relation] = queryset


def prepared(build: Callable[..., QuerySet[R]]) -> Prepared[R]:
    """Declare a read compiled once per shape (see the module's docstring)."""
    return Prepared(build)
