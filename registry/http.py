"""Bad input no form shows (a query parameter, a NUL character): 400 in the user's language."""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

NUL_REFUSED = _("The request contains a NUL character, which is not allowed.")


class InvalidInput(BadRequest):
    """Raised by a view with a message for the user (translated); answered by bad_request."""


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The project's handler400: what was wrong when a view said so, else a general message."""
    message = str(exception) if isinstance(exception, InvalidInput) else ""
    return render(request, "400.html", {"message": message}, status=400)
