"""Signing in to the API: tokens with a lifetime, revoked on sign-out and deactivation.

A user holds at most one API token (DRF's authtoken): signing in again, on this or another
tablet, replaces it. Signing in goes through `authenticate(request, ...)`, so django-axes locks
the API out exactly as it locks the HTML sign-in (by user name and address), and a successful
sign-in sends `user_logged_in` like the HTML sign-in (axes' access log, last_login).

Signing out of the HTML pages ends that browser's session only: the API token belongs to the
tablet that signed in with it, which signs out with DELETE /api/v1/auth/token/. Deactivating
a user or changing their password revokes their token at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import SESSION_KEY, authenticate, get_user_model, user_logged_in
from django.db import transaction
from django.db.models.signals import post_save
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.response import Response


class SignInRefused(Exception):
    """Wrong user name or password, or an inactive user: one answer for all (no oracle)."""


class SignInLockedOut(Exception):
    """django-axes refuses this user name from this address for a while."""

    def __init__(self, cool_off: timedelta | None) -> None:
        super().__init__("locked out")
        self.cool_off = cool_off


def token_lifetime() -> timedelta:
    return timedelta(hours=settings.API_TOKEN_LIFETIME_HOURS)


def token_expires_at(token: Token) -> datetime:
    return token.created + token_lifetime()


def api_token_issue(*, user) -> Token:
    """A new token for the user, replacing the one they held."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


def api_tokens_revoke(*, user) -> None:
    Token.objects.filter(user=user).delete()


def api_sign_in(*, request: HttpRequest, username: str, password: str) -> Token:
    """Check the credentials as the HTML sign-in does and issue a token.

    There is no second factor yet; when one is added, it must be checked here too.
    """
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        raise SignInLockedOut(get_cool_off(request))
    if user is None:
        raise SignInRefused()
    token = api_token_issue(user=user)
    user_logged_in.send(sender=type(user), request=request, user=user)
    # Axes' sign-in log made a session to key the entry on; a token sign-in keeps none.
    session = getattr(request, "session", None)
    if session is not None and SESSION_KEY not in session:
        session.flush()
    return token


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token, refused (401, WWW-Authenticate: Token) once older than its lifetime."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        user, token = super().authenticate_credentials(key)
        if timezone.now() >= token_expires_at(token):
            token.delete()
            raise exceptions.AuthenticationFailed(
                _("Your sign-in has expired. Sign in again."), code="token_expired"
            )
        return user, token


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """What django-axes answers to a locked-out sign-in (AXES_LOCKOUT_CALLABLE).

    The API's sign-in has already answered with its own JSON 429; the HTML sign-in gets the
    lockout page.
    """
    if isinstance(original_response, Response):
        return original_response
    context = {"cooloff_timedelta": get_cool_off(request)}
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=429)


def _revoke_when_access_ends(sender, instance, **kwargs) -> None:
    # `_password` is set by set_password() until the save completes.
    if not instance.is_active or getattr(instance, "_password", None) is not None:
        api_tokens_revoke(user=instance)


def connect() -> None:
    post_save.connect(
        _revoke_when_access_ends, sender=get_user_model(), dispatch_uid="casework.tokens_revoke"
    )
