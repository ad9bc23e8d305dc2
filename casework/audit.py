"""Which case models django-auditlog records: personal data, so their entries keep no values."""

from registry.audit import register_personal

from .models import Case, CaseGoal, CaseNote, FollowUp, Referral

register_personal(Case, m2m_fields={"vulnerabilities"}, exclude_fields=["request_fingerprint"])
register_personal(CaseNote, exclude_fields=["request_fingerprint"])
register_personal(CaseGoal)
register_personal(Referral, exclude_fields=["request_fingerprint"])
register_personal(FollowUp)
