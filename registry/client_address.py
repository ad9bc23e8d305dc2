"""The client's network address: the one function login lockouts, the audit log and API throttles use."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or behind RETORNO_TRUSTED_PROXY_COUNT proxies the address the outermost saw.

    Each proxy appends the address it received the request from to X-Forwarded-For, so with n
    trusted proxies the n-th entry from the right is the client as our outermost proxy saw it.
    Entries further left were sent by the client and may say anything: they are never read.
    When the entry is missing or not an address, the proxies are not doing what the setting
    says, and the address we know for sure (the nearest proxy's) is used.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.RETORNO_TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(forwarded) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-proxies]))
    except ValueError:
        return remote
