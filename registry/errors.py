"""The typed errors every action raises; each door translates them in one place.

- `NotFound`: missing, or not the user's to see (the same answer: 404).
- `Forbidden`: the user sees the record but may not do this; the message says why (403).
- `Invalid`: the input is wrong; a Django ValidationError with the fields named (400, or the
  form shown again with the errors on its fields).
- `Conflict`: the client identifier was already used for another submission (409).
- `VersionConflict`: someone else saved the record since the version the user started from
  (412 in the API; in HTML the form is kept and moved to the current version).

The API's exception handler is registry.api_common.exception_handler; the HTML doors use
registry.http.form_errors_from.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from .types import StrOrPromise


class DomainError(Exception):
    """A use case refused: its message is for the user, in their language."""

    message: StrOrPromise = ""

    def __init__(self, message: StrOrPromise | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(str(self.message))


class NotFound(DomainError):
    message = gettext_lazy("Not found.")


class Forbidden(DomainError):
    message = gettext_lazy("You do not have permission to do this.")


class Conflict(DomainError):
    message = gettext_lazy(
        "This identifier was already used for a different submission. "
        "Generate a new identifier for a new record."
    )


class VersionConflict(Conflict):
    message = gettext_lazy(
        "Someone else changed this record while you were editing it. "
        "Review their changes and try again."
    )

    def __init__(self, current_version: int, message: StrOrPromise | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version


class Invalid(ValidationError):
    """Wrong input, named by field (None: the submission as a whole)."""

    def __init__(self, message: StrOrPromise, field: str | None = None) -> None:
        super().__init__({field: message} if field else message)
