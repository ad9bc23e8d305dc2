"""Registers service deliveries with django-auditlog (bulk rows are audited by the action).

A delivery is a person's data: its entries keep field names, not values.
"""

from registry.audit import register_personal

from .models import Distribution, ServiceDelivery

register_personal(ServiceDelivery, exclude_fields=["request_fingerprint"])
register_personal(Distribution, exclude_fields=["request_fingerprint"])
