"""Types shared by every app's use cases."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.functional import Promise

if TYPE_CHECKING:
    # A translated message, lazy or not, as django-stubs spells it.
    from django_stubs_ext import StrOrPromise
else:
    StrOrPromise = str | Promise

__all__ = ["StrOrPromise"]
