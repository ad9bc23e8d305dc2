"""Session idle timeout and absolute lifetime; answers to signed-in users never stored; the HTTP
methods HTML pages answer; NUL characters refused before any view; a donor reviewer kept to the
aggregates; the production content security policy header; the audit log's client address."""

import contextlib
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from auditlog.cid import set_cid
from auditlog.context import set_actor, set_extra_data
from auditlog.middleware import AuditlogMiddleware as BaseAuditlogMiddleware
from django.conf import settings
from django.contrib.auth import logout
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
    UnreadablePostError,
)
from django.utils.cache import add_never_cache_headers

from .client_address import client_ip
from .http import NUL_REFUSED, InvalidInput
from .permissions import AGGREGATES_APP, is_donor_reviewer

_STARTED = "retorno_session_started"
_LAST_SEEN = "retorno_last_seen"


class SessionLifetimeMiddleware:
    """Logs out a session idle for SESSION_IDLE_TIMEOUT or older than SESSION_ABSOLUTE_LIFETIME.

    A request renews the idle clock (and so saves the session) only when the last renewal is
    SESSION_RENEW_SECONDS old or more: not one write per page view.
    """

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
            renewed = last_seen is not None and now - last_seen < settings.SESSION_RENEW_SECONDS
            if request.user.is_authenticated and not renewed:
                request.session[_LAST_SEEN] = now
        return self.get_response(request)


class NoStoreMiddleware:
    """Every answer to a signed-in user (HTML, API, downloads) carries Cache-Control: no-store.

    They may show personal data, which a shared tablet's browser cache or a proxy would keep
    after the session ends. Static files are served by whitenoise before this runs and stay
    cacheable. The user is asked before the view (signing out) and after it (signing in, and
    the API's token authentication, which DRF sets on the request during the view).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        signed_in = request.user.is_authenticated
        response = self.get_response(request)
        if signed_in or request.user.is_authenticated:
            add_never_cache_headers(response)
        return response


API_PREFIX = "/api/"
HTML_METHODS = ("GET", "HEAD", "POST", "OPTIONS")


class HtmlMethodsMiddleware:
    """HTML pages answer GET, HEAD, POST and OPTIONS only: anything else is a 405 here, in one
    place, rather than a page rendered for a PUT, DELETE or TRACE by a view that never looks at
    the method. Each view still names which of these it takes (require_GET, require_POST, ...).
    The API under /api/ has its own methods (PATCH) and DRF refuses the others itself.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in HTML_METHODS and not request.path_info.startswith(API_PREFIX):
            return HttpResponseNotAllowed(HTML_METHODS)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


# The audit context of the request being served (AuditlogMiddleware), for audit_actor.
_request_audit: ContextVar[dict[str, Any] | None] = ContextVar(
    "retorno_request_audit", default=None
)


class AuditlogMiddleware(BaseAuditlogMiddleware):
    """auditlog's middleware, with the client address read by client_ip (its own takes the
    left-most X-Forwarded-For entry, which the client writes), and its context kept for
    audit_actor."""

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        if settings.AUDITLOG_DISABLE_REMOTE_ADDR:
            return None
        return client_ip(request)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        set_cid(request)
        context = self.get_extra_data(request)
        token = _request_audit.set(context)
        try:
            with set_extra_data(context_data=context):
                return self.get_response(request)
        finally:
            _request_audit.reset(token)


@contextlib.contextmanager
def audit_actor(user: Any, request: HttpRequest) -> Iterator[None]:
    """Name `user` in the audit entries written within: the API's user, whom DRF authenticates
    after AuditlogMiddleware has run (a token's user would otherwise be logged as no one).

    The request's own audit context is given the actor. A second set_actor inside it would
    leak: django-auditlog's nested contexts never disconnect the outer one's pre_save receiver
    (jazzband/django-auditlog#846), one more receiver for every LogEntry saved, per request.
    """
    context = _request_audit.get()
    if context is None:  # no request being served (a test's request factory)
        with set_actor(user, remote_addr=client_ip(request)):
            yield
        return
    before = context.get("actor")
    context["actor"] = user
    try:
        yield
    finally:
        context["actor"] = before


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
    The API's JSON bodies are checked by its parser (registry.api_common.JSONParser).
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


# Pages outside the reporting app that a donor reviewer opens: their home page, signing in and
# out, the language.
DONOR_SITE_PAGES = frozenset({"home", "login", "logout", "set_language"})


def donor_may_open(view_func: Callable, url_name: str | None) -> bool:
    """The reporting app serves aggregates only (each of its pages still checks its reader)."""
    module = getattr(view_func, "__module__", "") or ""
    return url_name in DONOR_SITE_PAGES or module.split(".")[0] == AGGREGATES_APP


class DonorReachMiddleware:
    """A donor reviewer gets 404 on every page but the aggregates', before any view runs: for
    them the rest of the site does not exist (a list answered empty still says what is there).

    The API under /api/ is left to DRF (registry.api_common.DonorReviewersKeptOut): a token
    client is signed in only inside the view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        if request.path_info.startswith(API_PREFIX):
            return
        if not donor_may_open(view_func, request.resolver_match.view_name) and is_donor_reviewer(
            request.user
        ):
            raise Http404
