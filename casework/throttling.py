"""The API's rate limits, counted per client address as casework.client_address reads it.

DRF's own get_ident trusts every X-Forwarded-For entry: a client would start a fresh count by
sending a new header with each request.
"""

from rest_framework import throttling

from .client_address import client_ip


class _ClientAddress:
    def get_ident(self, request):
        return client_ip(request)


class AnonRateThrottle(_ClientAddress, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_ClientAddress, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(_ClientAddress, throttling.ScopedRateThrottle):
    pass
