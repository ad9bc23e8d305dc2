"""Session idle timeout and absolute lifetime; the production content security policy header;
NUL characters refused before any view."""

import contextlib
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError

from .http import NUL_REFUSED, InvalidInput

_STARTED = "retorno_session_started"
_LAST_SEEN = "retorno_last_seen"


class SessionLifetimeMiddleware:
    """Logs out a session idle for SESSION_IDLE_TIMEOUT or older than SESSION_ABSOLUTE_LIFETIME."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            started = request.session.get(_STARTED)
            last_seen = request.session.get(_LAST_SEEN)
            if started is None:
                request.session[_STARTED] = now
            elif now - started > settings.SESSION_ABSOLUTE_LIFETIME or (
                last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT
            ):
                logout(request)
            if request.user.is_authenticated:
                request.session[_LAST_SEEN] = now
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _nul_in(request: HttpRequest) -> tuple[bool, str]:
    """(whether a NUL character was sent, the parameter holding it: "" for the path)."""
    if "\x00" in request.path:
        return True, ""
    params = [request.GET]
    # The API reads JSON bodies only, through its own parser; reading a form body here would
    # turn its 415 for a form into a 400.
    if request.method == "POST" and not _is_api(request):
        # A broken connection: the view (or CSRF) answers for it as before.
        with contextlib.suppress(UnreadablePostError):
            params.append(request.POST)
    for query in params:
        for name, values in query.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return True, name.replace("\x00", "")
    return False, ""


class RefuseNulMiddleware:
    """Answers 400 to a NUL character in the path, the query string or form data.

    PostgreSQL cannot store or compare text with NUL (the query raises), and no user types one.
    The API's JSON bodies are checked by its parser (casework.api_common.JSONParser).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        found, name = _nul_in(request)
        if not found:
            return self.get_response(request)
        message = str(NUL_REFUSED)
        if _is_api(request):
            return JsonResponse({name: [message]} if name else {"detail": message}, status=400)
        raise InvalidInput(message)
