"""Reads the intake screens need beyond intake.selectors, scoped the same way."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.http import Http404

from registry.audit import person_viewed
from registry.permissions import User

from .models import Arrival
from .selectors import arrival_list


def arrival_get_by_client_uuid(*, user: User, client_uuid: uuid.UUID) -> Arrival:
    """The arrival registered under a client UUID, if the user may see it; Http404 otherwise.

    The pages that read it show the person's names: their access entry is written here.
    """
    try:
        arrival = arrival_list(user=user).get(client_uuid=client_uuid)
    except (Arrival.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        # A malformed identifier is answered like a missing one.
        raise Http404 from exc
    person_viewed(arrival.person, actor=user)
    return arrival


def arrival_exists_for_client_uuid(*, user: User, client_uuid: uuid.UUID) -> bool:
    return arrival_list(user=user).filter(client_uuid=client_uuid).exists()
