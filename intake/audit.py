"""Registers intake models with django-auditlog."""

from auditlog.registry import auditlog

from .models import Arrival

auditlog.register(Arrival, m2m_fields={"reasons"}, exclude_fields=["request_fingerprint"])
