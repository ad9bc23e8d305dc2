"""Registers service deliveries with django-auditlog (bulk rows are audited by the action)."""

from auditlog.registry import auditlog

from .models import Distribution, ServiceDelivery

auditlog.register(ServiceDelivery, exclude_fields=["request_fingerprint"])
auditlog.register(Distribution, exclude_fields=["request_fingerprint"])
