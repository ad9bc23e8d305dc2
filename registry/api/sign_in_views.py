"""API sign-in and sign-out: POST answers a token for Authorization: Token <key>, DELETE revokes it."""

from __future__ import annotations

import math
from datetime import timedelta

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from ..sign_in import (
    SignInLockedOut,
    SignInRefused,
    api_sign_in,
    api_tokens_revoke,
    token_expires_at,
)
from ..throttling import ScopedRateThrottle

REFUSED = _("Unable to sign in with this user name and password.")


class SignInInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(
        source="key", help_text=_("Send it as the Authorization header: Token <token>.")
    )
    expires_at = serializers.SerializerMethodField(
        help_text=_("After this time the token answers 401: sign in again.")
    )

    def get_expires_at(self, token) -> str:
        return serializers.DateTimeField().to_representation(token_expires_at(token))


class SignInLocked(APIException):
    """429 with Retry-After: django-axes locked this user name out from this address."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self, cool_off: timedelta | None) -> None:
        # The words of the sign-in page's lockout notice.
        detail = gettext(
            "There were too many failed attempts to sign in with this user name from this "
            "device, so signing in is blocked for a while."
        )
        self.wait = None
        if cool_off:
            self.wait = math.ceil(cool_off.total_seconds())
            minutes = math.ceil(self.wait / 60)
            detail += " " + gettext("You can try again in about %(minutes)s minutes.") % {
                "minutes": minutes
            }
        super().__init__(detail)


class TokenApi(APIView):
    parser_classes = [JSONParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "sign_in"

    def _signing_in(self) -> bool:
        return getattr(self.request, "method", None) == "POST"

    def get_authenticators(self):
        # Signing in must work while an expired token is still in the client's headers.
        return [] if self._signing_in() else super().get_authenticators()

    def get_permissions(self):
        # Anyone signed in may sign out, a donor reviewer included.
        return [AllowAny()] if self._signing_in() else [IsAuthenticated()]

    @extend_schema(
        summary="Sign in: a token for the Authorization header",
        description=(
            "Checks the user name and password as the sign-in page does: the same lockout "
            "after repeated failures (429 with Retry-After) and the same sign-in log. The "
            "token expires after API_TOKEN_LIFETIME_HOURS (12 by default); signing in again "
            "replaces the user's previous token. Deactivating the user or changing their "
            "password revokes it; signing out of the web pages does not."
        ),
        auth=[],
        request=SignInInputSerializer,
        responses={
            200: TokenOutputSerializer,
            400: OpenApiResponse(description="Missing fields, or a wrong user name or password."),
            429: OpenApiResponse(description="Locked out for a while, or too many sign-ins."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = SignInInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token = api_sign_in(request=request._request, **serializer.validated_data)
        except SignInLockedOut as exc:
            raise SignInLocked(exc.cool_off) from exc
        except SignInRefused as exc:
            raise serializers.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: [REFUSED]}
            ) from exc
        return Response(TokenOutputSerializer(token).data)

    @extend_schema(
        summary="Sign out: revoke the token",
        request=None,
        responses={204: OpenApiResponse(description="Signed out.")},
    )
    def delete(self, request: Request) -> Response:
        api_tokens_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
