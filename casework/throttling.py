"""The API's rate limits, counted per client address as casework.client_address reads it.

DRF's own get_ident trusts every X-Forwarded-For entry: a client would start a fresh count by
sending a new header with each request.
"""

from rest_framework import throttling

from .client_address import client_ip


class AnonRateThrottle(throttling.AnonRateThrottle):
    def get_ident(self, request):
        return client_ip(request)


class UserRateThrottle(throttling.UserRateThrottle):
    def get_ident(self, request):
        return client_ip(request)
