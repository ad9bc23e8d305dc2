"""The audit trail: which models django-auditlog records, what an entry may store, and reads of a
person's record.

An entry of a person's or a case's record names who acted, when, on which record and which
fields changed, never the values: those are read on the record itself, by those who may read it.
Reference data (service types, centres...) may keep its values.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any, TypeVar, cast

from auditlog.cid import get_cid
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connections, models
from django.db.models import Model, Q, QuerySet
from django.db.models.signals import pre_delete, pre_save
from django.dispatch import receiver

from .models import Consent, Correction, Person, PersonCenter, PersonMerge
from .permissions import User

F = TypeVar("F", bound=Callable[..., Any])

# Stands for every value of a personal record's field in its entries.
REDACTED = "***"

_PERSONAL: set[type[Model]] = set()


def register_personal(model: type[Model], **options) -> None:
    """Audit `model`, a person's or a case's data: its entries keep field names, not values."""
    auditlog.register(model, **options)
    _PERSONAL.add(model)


def is_personal(model: type[Model] | None) -> bool:
    return model in _PERSONAL


def without_personal_data() -> list[ContentType]:
    """The content types whose entries hold no personal data: staff accounts (exports, user
    administration) and the audited reference data."""
    models = [get_user_model(), *(m for m in auditlog.get_models() if not is_personal(m))]
    return list(ContentType.objects.get_for_models(*models).values())


def redacted_changes(changes: dict | None) -> dict | None:
    """`changes` with each field's values replaced by REDACTED (an m2m change keeps its shape)."""
    if not changes:
        return changes
    return {
        field: (
            {**values, "objects": [REDACTED]} if isinstance(values, dict) else [REDACTED, REDACTED]
        )
        for field, values in changes.items()
    }


def redact(entry) -> None:
    """Strip the values of a personal record from `entry` (a LogEntry, or its historical model in
    a migration): the changed fields' names stay; its name for the record becomes the pk."""
    changes = entry.changes
    if not changes and entry.changes_text:
        with contextlib.suppress(ValueError):
            changes = json.loads(entry.changes_text)
    entry.changes = redacted_changes(changes) if isinstance(changes, dict) else None
    entry.changes_text = ""
    entry.object_repr = entry.object_pk
    entry.serialized_data = None


_REDACTED_FIELDS = ["changes", "changes_text", "object_repr", "serialized_data"]


@receiver(pre_save, sender=LogEntry)
def _log_entry_without_personal_values(sender, instance: LogEntry, **kwargs) -> None:
    """Every entry auditlog (or our code) writes passes here: create, change, delete, m2m."""
    if is_personal(ContentType.objects.get_for_id(instance.content_type_id).model_class()):
        redact(instance)


@receiver(pre_delete, sender=get_user_model())
def _keep_who_acted(sender, instance, **kwargs) -> None:
    """LogEntry.actor is SET_NULL: before a user row goes, write their username on the entries
    that name them by that row only (auditlog keeps the email it knew, if any)."""
    LogEntry.objects.filter(actor=instance).filter(
        Q(actor_email__isnull=True) | Q(actor_email="")
    ).update(actor_email=instance.get_username())


def persons_viewed(persons: Iterable[Person], *, actor: User) -> None:
    """Write one access entry per person shown (a record, a page of a list), in one insert.

    The selectors call this with the user they scope for: the actor is named even where
    AuditlogMiddleware ran before DRF authenticated a token. The entry is built and sent through
    pre_save once (the request's address and port, the redaction that names the record by its
    key), then written for each person's key by the database (_entries_insert).
    """
    keys = list(dict.fromkeys(str(person.pk) for person in persons))
    if not keys:
        return
    # The keys as a table (VALUES names its column column1 on PostgreSQL and SQLite alike, and
    # SQLite caps a compound SELECT at 500 terms, not a VALUES list); only placeholders here.
    values = ", ".join(["(%s)"] * len(keys))
    shown = f"SELECT column1 AS row_key FROM (VALUES {values}) keys"  # noqa: S608
    entry = _entry_by(
        actor,
        content_type=ContentType.objects.get_for_model(Person),
        object_pk=_ROW_KEY,
        action=LogEntry.Action.ACCESS,
        cid=get_cid(),
    )
    _entries_insert(entry, rows=(shown, keys), using=LogEntry.objects.db)


def _entry_by(actor: User, **fields: Any) -> LogEntry:
    """An entry naming `actor` (by row and by email: the email outlives a deleted user)."""
    return LogEntry(
        actor=actor if actor.is_authenticated else None,
        actor_email=getattr(actor, "email", None),
        **fields,
    )


def _before_write(entry: LogEntry, using: str) -> None:
    """pre_save for an entry written without save(): the middleware adds the actor, address and
    port, and a personal record's values are left out (_log_entry_without_personal_values)."""
    pre_save.send(sender=LogEntry, instance=entry, raw=False, using=using, update_fields=None)


def _entries_write(entries: list[LogEntry]) -> None:
    """Write entries in one INSERT. bulk_create sends no pre_save: it is sent here for each
    entry, for the middleware to add the actor, address and port, and for the personal values
    to be left out (_log_entry_without_personal_values)."""
    for entry in entries:
        _before_write(entry, LogEntry.objects.db)
    LogEntry.objects.bulk_create(entries)


# In the entry rows_created builds once: stands for each row's key (the record's name too, once
# redacted), which the database puts in its place row by row.
_ROW_KEY = "\x00row key"
_INTEGER_KEYS = ("AutoField", "BigAutoField", "IntegerField", "BigIntegerField")


def rows_created(rows: QuerySet[Any], *, actor: User, fields: Iterable[str]) -> None:
    """Creation entries for rows written by bulk_create, which sends no signals: one per row of
    `rows`, naming `fields`, in one INSERT ... SELECT over their keys. The database writes them:
    no entry is built per row (a handout to a flight records hundreds of rows).
    """
    if rows.model._meta.pk.get_internal_type() not in _INTEGER_KEYS:
        # A uuid's text in SQL is not str(uuid) everywhere (SQLite keeps 32 hex digits).
        raise TypeError(f"rows_created needs integer keys, not {rows.model.__name__}'s")
    entry = _entry_by(
        actor,
        content_type=ContentType.objects.get_for_model(rows.model),
        object_pk=_ROW_KEY,
        action=LogEntry.Action.CREATE,
        cid=get_cid(),
        changes=dict.fromkeys(fields),
    )
    keys = rows.values(row_key=models.F("pk")).query.sql_with_params()
    _entries_insert(entry, rows=keys, using=rows.db, integer_keys=True)


def _entries_insert(
    entry: LogEntry, *, rows: tuple[str, Any], using: str, integer_keys: bool = False
) -> None:
    """Write `entry` once per row of the query `rows` (its column row_key: each record's key),
    in one INSERT ... SELECT. The entry is sent through pre_save once, as every other is (the
    request's address and port, the redaction of a person's data): what a receiver took from
    the record's key (_ROW_KEY) is taken from each row's key; with `integer_keys` the key is
    also the entry's object_id, as django-auditlog writes it for an integer key."""
    _before_write(entry, using)
    connection = connections[using]
    quote = connection.ops.quote_name
    row_key = f"{quote('rows')}.{quote('row_key')}"
    columns, values, params = [], [], []
    for entry_field in LogEntry._meta.concrete_fields:
        if entry_field.primary_key:
            continue
        value = getattr(entry, entry_field.attname)
        columns.append(quote(entry_field.column))
        if entry_field.name == "object_id" and integer_keys:
            values.append(row_key)
        elif value == _ROW_KEY:
            values.append(f"CAST({row_key} AS VARCHAR(255))")
        elif connection.vendor == "postgresql":
            # A parameter in a SELECT list has no type of its own there: the column's is given.
            values.append(f"CAST(%s AS {entry_field.db_type(connection)})")
            params.append(entry_field.get_db_prep_save(value, connection))
        else:
            values.append("%s")
            params.append(entry_field.get_db_prep_save(value, connection))
    rows_sql, rows_params = rows
    sql = (
        f"INSERT INTO {quote(LogEntry._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(values)} FROM ({rows_sql}) {quote('rows')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *rows_params])


# The entries of the action running in this context, held until it returns (audited_together).
_held: ContextVar[list[LogEntry] | None] = ContextVar("retorno_audit_held", default=None)
_manager_class = type(LogEntry.objects)
_create = _manager_class.create


def _create_or_hold(manager: Any, **fields: Any) -> LogEntry:
    """LogEntry.objects.create, as django-auditlog calls it for every save it records: within
    audited_together the entry is held, to be written with the others."""
    held = _held.get()
    if held is None:
        return _create(manager, **fields)
    entry = LogEntry(**fields)
    held.append(entry)
    return entry


# django-auditlog writes each entry as its save happens and has no batching of its own: its
# manager's create is the one place every entry passes through (log_create, log_m2m_changes).
# Set on the manager's class, which only LogEntry uses (Django copies manager instances).
_manager_class.create = _create_or_hold  # type: ignore[method-assign]


def audited_together(action: F) -> F:
    """Decorate an action (under its @transaction.atomic): the audit entries its saves cause are
    written together in one INSERT when it returns, in its transaction, instead of one INSERT
    each (an arrival registered causes six, a kit handed to a flight one per person). An action
    that fails writes none, as its rows roll back. Only for actions that catch no database
    error after a save: an entry held for a row a savepoint then rolled back would be written.
    """

    @functools.wraps(action)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _held.get() is not None:  # within another: that one writes them
            return action(*args, **kwargs)
        entries: list[LogEntry] = []
        token = _held.set(entries)
        try:
            result = action(*args, **kwargs)
        finally:
            _held.reset(token)
        if entries:
            _entries_write(entries)
        return result

    return cast(F, wrapper)


def person_viewed(person: Person, *, actor: User) -> None:
    """Write an access entry for one person's record."""
    persons_viewed([person], actor=actor)


register_personal(
    Person,
    exclude_fields=[
        "document_key",
        "given_name_keys",
        "surname_keys",
        "phone_key",
        "version",
        "updated_at",
    ],
)
register_personal(Consent)
register_personal(Correction)
register_personal(PersonCenter)
register_personal(PersonMerge)
