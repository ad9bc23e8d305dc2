"""Reintegration cases: assessment, plan, notes, referrals, follow-ups."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from intake.models import Arrival
from registry.dates import PLANNED_DATES
from registry.models import (
    ClosureReason,
    Partner,
    Person,
    ReceptionCenter,
    ServiceLine,
    VulnerabilityCategory,
)


class Dimension(models.TextChoices):
    ECONOMIC = "economic", _("Economic")
    SOCIAL = "social", _("Social")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial")


class CaseCounter(models.Model):
    """The last case number given at a centre in a year (locked while numbering)."""

    center = models.ForeignKey(ReceptionCenter, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["center", "year"], name="case_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.center_id}/{self.year}: {self.last}"


class Case(models.Model):
    """A reintegration episode of a person at a centre."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    number = models.CharField(_("case number"), max_length=24, unique=True, editable=False)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="cases", verbose_name=_("person")
    )
    center = models.ForeignKey(
        ReceptionCenter,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("reception centre"),
    )
    opened_from_arrival = models.ForeignKey(
        Arrival,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("opened from arrival"),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assigned caseworker"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    restricted = models.BooleanField(
        _("restricted"),
        default=False,
        help_text=_(
            "Sensitive case (e.g. gender-based violence): only the assigned caseworker and "
            "the centre's supervisors can open it."
        ),
    )
    vulnerabilities = models.ManyToManyField(
        VulnerabilityCategory, blank=True, related_name="cases", verbose_name=_("vulnerabilities")
    )
    economic_needs = models.TextField(_("economic needs"), max_length=2000, blank=True)
    social_needs = models.TextField(_("social needs"), max_length=2000, blank=True)
    psychosocial_needs = models.TextField(_("psychosocial needs"), max_length=2000, blank=True)
    assessed_at = models.DateTimeField(_("assessed at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("opened by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    closure_reason = models.ForeignKey(
        ClosureReason,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("closure reason"),
    )
    closure_note = models.TextField(_("closure note"), max_length=2000, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    client_uuid = models.UUIDField(_("client identifier"), unique=True, default=uuid.uuid4)
    # A hash of the submission that recorded the row (registry.idempotency): a replay under the
    # same client UUID must match it.
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at"]
        permissions = [
            ("view_restricted_case", _("Can open this restricted case")),
            ("manage_center_cases", _("Can reassign, close and restrict any case of the centre")),
        ]
        indexes = [
            models.Index(fields=["center", "status", "-opened_at"], name="case_center_status"),
            # The case list: newest first across the user's centres, stopping after a page.
            models.Index(fields=["-opened_at", "center"], name="case_opened_center"),
            models.Index(fields=["assigned_to", "status"], name="case_assignee_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "center"],
                condition=models.Q(status="open"),
                name="one_open_case_per_person_and_centre",
            ),
            models.CheckConstraint(
                condition=models.Q(status="open") | models.Q(closure_reason__isnull=False),
                name="closed_case_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CaseUserObjectPermission(UserObjectPermissionBase):
    """Who may open a restricted case: its caseworker and the centre's supervisors."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("case permission of a user")
        verbose_name_plural = _("case permissions of users")


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("case permission of a group")
        verbose_name_plural = _("case permissions of groups")


def _planned_date_check(instance: models.Model, field: str) -> None:
    """A plan's date (a goal's target, a follow-up's due date) within PLANNED_DATES."""
    value = getattr(instance, field)
    message = value and PLANNED_DATES.error(value, today=timezone.localdate())
    if message:
        raise ValidationError({field: [message]})


class CaseGoal(models.Model):
    """A goal of the reintegration plan."""

    class Progress(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        ACHIEVED = "achieved", _("Achieved")
        DROPPED = "dropped", _("Dropped")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="goals")
    dimension = models.CharField(_("dimension"), max_length=14, choices=Dimension.choices)
    description = models.CharField(_("goal"), max_length=300)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    progress = models.CharField(
        _("progress"), max_length=12, choices=Progress.choices, default=Progress.NOT_STARTED
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Optimistic concurrency, as on the case: a change names the version it started from.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("plan goal")
        verbose_name_plural = _("plan goals")
        ordering = ["target_date", "pk"]

    def __str__(self) -> str:
        return self.description

    def clean(self) -> None:
        _planned_date_check(self, "target_date")


class CaseNote(models.Model):
    """Append-only: a note is never edited; a correction is a new note referencing the old one."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    text = models.TextField(_("note"), max_length=5000)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects note"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4)
    # A hash of the submission that recorded the row (registry.idempotency): a replay under the
    # same client UUID must match it.
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.created_at:%Y-%m-%d}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError(_("Case notes cannot be changed; add a correction instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Case notes cannot be deleted; add a correction instead."))


class Referral(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined")
        NO_RESPONSE = "no_response", _("No response")

    # Allowed moves; anything else is refused by referral_set_status.
    TRANSITIONS = {
        Status.PENDING: {Status.ACCEPTED, Status.DECLINED, Status.NO_RESPONSE},
        Status.ACCEPTED: {Status.COMPLETED, Status.DECLINED, Status.NO_RESPONSE},
        Status.NO_RESPONSE: {Status.ACCEPTED, Status.DECLINED},
        Status.COMPLETED: set(),
        Status.DECLINED: set(),
    }

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("partner")
    )
    service_line = models.ForeignKey(
        ServiceLine, on_delete=models.PROTECT, related_name="+", verbose_name=_("service")
    )
    reason = models.TextField(_("reason for the referral"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    outcome_note = models.TextField(_("outcome"), max_length=2000, blank=True)
    referred_at = models.DateTimeField(_("referred at"), default=timezone.now)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("referred by"),
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4)
    # A hash of the submission that recorded the row (registry.idempotency): a replay under the
    # same client UUID must match it.
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-referred_at"]
        indexes = [models.Index(fields=["case", "status"], name="referral_case_status")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.partner_id}"


class FollowUp(models.Model):
    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached, doing well")
        REACHED_NEEDS_SUPPORT = "needs_support", _("Reached, needs support")
        NOT_REACHED = "not_reached", _("Could not be reached")
        MIGRATED_AGAIN = "migrated_again", _("Migrated again")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="follow_ups")
    due_date = models.DateField(_("due date"))
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("outcome note"), max_length=2000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["case", "done_at", "due_date"], name="followup_pending")]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.due_date}"

    def clean(self) -> None:
        _planned_date_check(self, "due_date")

    def is_overdue(self, today) -> bool:
        """Not done and due before `today` (the centre's local date)."""
        return self.done_at is None and self.due_date < today
