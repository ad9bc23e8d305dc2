"""Registers casework models with django-auditlog and records reads of a person's record."""

from __future__ import annotations

from collections.abc import Iterable

from auditlog.cid import get_cid
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import pre_save

from .models import Case, CaseGoal, CaseNote, Consent, FollowUp, Person, PersonCenter, Referral
from .permissions import User

auditlog.register(
    Person, exclude_fields=["document_key", "given_name_keys", "surname_keys", "updated_at"]
)
auditlog.register(Consent)
auditlog.register(PersonCenter)


def persons_viewed(persons: Iterable[Person], *, actor: User) -> None:
    """Write one access entry per person shown (a record, a page of a list), in one insert.

    The selectors call this with the user they scope for: the actor is named even where
    AuditlogMiddleware ran before DRF authenticated a token. bulk_create sends no pre_save, so
    it is sent here for each entry, for the middleware to add the request's address and port.
    """
    shown = {person.pk: person for person in persons}
    if not shown:
        return
    content_type = ContentType.objects.get_for_model(Person)
    cid = get_cid()
    entries = [
        LogEntry(
            content_type=content_type,
            object_pk=str(pk),
            object_repr=str(person),
            action=LogEntry.Action.ACCESS,
            actor=actor if actor.is_authenticated else None,
            actor_email=getattr(actor, "email", None),
            cid=cid,
        )
        for pk, person in shown.items()
    ]
    for entry in entries:
        pre_save.send(
            sender=LogEntry,
            instance=entry,
            raw=False,
            using=LogEntry.objects.db,
            update_fields=None,
        )
    LogEntry.objects.bulk_create(entries)


def person_viewed(person: Person, *, actor: User) -> None:
    """Write an access entry for one person's record."""
    persons_viewed([person], actor=actor)


auditlog.register(Case, m2m_fields={"vulnerabilities"})
auditlog.register(CaseNote)
auditlog.register(CaseGoal)
auditlog.register(Referral)
auditlog.register(FollowUp)
