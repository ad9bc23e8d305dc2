"""Registers casework models with django-auditlog and records reads of a person's record."""

from auditlog.registry import auditlog
from auditlog.signals import accessed

from .models import Case, CaseGoal, CaseNote, Consent, FollowUp, Person, PersonCenter, Referral

auditlog.register(
    Person, exclude_fields=["document_key", "given_name_keys", "surname_keys", "updated_at"]
)
auditlog.register(Consent)
auditlog.register(PersonCenter)


def person_viewed(person: Person) -> None:
    """Write an access entry (who and when come from the request via AuditlogMiddleware)."""
    accessed.send(sender=Person, instance=person)


auditlog.register(Case, m2m_fields={"vulnerabilities"}, exclude_fields=["request_fingerprint"])
auditlog.register(CaseNote, exclude_fields=["request_fingerprint"])
auditlog.register(CaseGoal)
auditlog.register(Referral, exclude_fields=["request_fingerprint"])
auditlog.register(FollowUp)
