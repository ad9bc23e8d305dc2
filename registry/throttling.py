"""The rate limits: the API's, counted per client address as registry.client_address reads it,
and per-user limits outside the API (export jobs); all counted in the shared cache.

DRF's own get_ident trusts every X-Forwarded-For entry: a client would start a fresh count by
sending a new header with each request. DRF's own cache is the default one, which is per
process: each worker would count on its own. settings.THROTTLE_CACHE is shared (Redis or the
database).
"""

import math
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import caches
from rest_framework import throttling

from .client_address import client_ip


class _Shared:
    def __init__(self) -> None:
        # Looked up per instance (DRF makes one per request): caches are per thread.
        self.cache = caches[settings.THROTTLE_CACHE]
        super().__init__()

    def get_ident(self, request):
        return client_ip(request)


class AnonRateThrottle(_Shared, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_Shared, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(_Shared, throttling.ScopedRateThrottle):
    pass


class UserLimit(_Shared, throttling.SimpleRateThrottle):
    """A limit per user for something that is not an API request (starting an export job):
    the rate of `scope` in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], counted like the API's."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__()

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}

    def take(self, user: AbstractBaseUser) -> bool:
        """Count one more for `user`; False (and nothing counted) once the limit is reached."""
        return self.allow_request(SimpleNamespace(user=user), None)

    def minutes_to_wait(self) -> int:
        """After a refused `take`: whole minutes until the next one is allowed."""
        return max(1, math.ceil((self.wait() or 0) / 60))
