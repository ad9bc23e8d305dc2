"""Session idle timeout and absolute lifetime; the production content security policy header;
the audit log's client address."""

import time
from collections.abc import Callable

from auditlog.middleware import AuditlogMiddleware as BaseAuditlogMiddleware
from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from .client_address import client_ip

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


class AuditlogMiddleware(BaseAuditlogMiddleware):
    """auditlog's middleware, with the client address read by client_ip.

    Its own takes the left-most X-Forwarded-For entry, which the client writes.
    """

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        if settings.AUDITLOG_DISABLE_REMOTE_ADDR:
            return None
        return client_ip(request)
