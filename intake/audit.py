"""Registers arrivals with django-auditlog: a person's data, so entries keep field names only."""

from registry.audit import register_personal

from .models import Arrival

register_personal(Arrival, m2m_fields={"reasons"}, exclude_fields=["request_fingerprint"])
