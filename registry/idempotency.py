"""Idempotency by client UUID: the one helper every action that records a row under one calls.

A client (a tablet offline, an API client, a form) generates a UUID per submission and sends it
again when it did not get the answer. The first submission records the row (the API answers
201); the same submission again returns that row (200, same body); the same UUID with another
submission, or a row the sender may not see, is a conflict (409) that says nothing about the row.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.db import connection, models
from django.utils.translation import gettext_lazy

from .errors import Conflict
from .types import StrOrPromise

RowT = TypeVar("RowT", bound=models.Model)


class IdempotencyConflict(Conflict):
    """The client UUID was already used for another submission, or for a row the actor may not see."""

    message: StrOrPromise = gettext_lazy(
        "This identifier was already used for a different submission. "
        "Generate a new identifier for a new record."
    )
    # What a form says: the form's hidden identifier means nothing to the person filling it in.
    form_message = gettext_lazy(
        "This form was already saved with other content, perhaps in another tab. What you "
        "typed is kept below: save again to record it as new."
    )

    def __init__(self, client_uuid: uuid.UUID | str) -> None:
        super().__init__()
        self.client_uuid = client_uuid


def fingerprint(payload: Any) -> str:
    """A stable hash of a submission, to tell a replay from a reuse of the same client UUID."""
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _lock(model: type[models.Model], client_uuid: uuid.UUID | str) -> None:
    """Hold back other submissions of this client UUID until the current transaction ends.

    Without it two requests with the same UUID both find no row, both try to record one, and
    the loser fails on the unique index. On PostgreSQL a transaction-scoped advisory lock keyed
    on the table and the UUID. SQLite (the embedded default) needs none: its transactions begin
    IMMEDIATE (config.settings.base), so one writer runs at a time from the first read.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("replay() must run inside the action's transaction.")
    if connection.vendor != "postgresql":
        return
    name = f"{model._meta.db_table}:{uuid.UUID(str(client_uuid))}".encode()
    key = int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def replay(
    model: type[RowT],
    *,
    client_uuid: uuid.UUID | str | None,
    request_fingerprint: str,
    visible: Callable[[RowT], bool],
) -> RowT | None:
    """The row recorded earlier under `client_uuid` by this same submission; None if there is none.

    Call it first in the action's transaction, before anything is checked or written: the
    submissions of one UUID then run one after the other, so the first records the row and the
    others find it. Raises IdempotencyConflict when the row was recorded from another submission
    (its stored fingerprint differs) or when `visible` says the actor may not see it.
    """
    if client_uuid is None:
        return None
    _lock(model, client_uuid)
    # The base manager: a row its default manager hides (a voided arrival) still holds its UUID.
    existing = model._base_manager.filter(client_uuid=client_uuid).first()
    if existing is None:
        return None
    if existing.request_fingerprint != request_fingerprint or not visible(existing):
        raise IdempotencyConflict(client_uuid)
    return existing


def form_as_new_submission(form: forms.Form, exc: IdempotencyConflict) -> None:
    """Show a form whose client UUID was used for other content again, as typed, under a new one.

    The same form saved earlier with other content (the back button, a second tab): saving
    again is then a deliberate new record, never a silent replay of the old one.
    """
    form.data = form.data.copy()
    form.data[form.add_prefix("client_uuid")] = str(uuid.uuid4())
    form.add_error(None, str(exc.form_message))
