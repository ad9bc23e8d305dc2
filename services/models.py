"""The service catalogue, providers, and service deliveries (one row per thing delivered)."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.models import Case, Dimension
from registry.dates import DELIVERY_DATES, PLANNED_DATES
from registry.models import Country, Person, ReceptionCenter


class ServiceType(models.Model):
    class Category(models.TextChoices):
        POST_ARRIVAL_AID = "aid", _("Post-arrival aid")
        REINTEGRATION = "reintegration", _("Reintegration")

    class Unit(models.TextChoices):
        KIT = "kit", _("kit")
        MEAL = "meal", _("meal")
        TRIP = "trip", _("trip")
        SESSION = "session", _("session")
        COURSE = "course", _("course")
        PLACEMENT = "placement", _("placement")
        AMOUNT = "amount", _("amount")
        ITEM = "item", _("item")
        CALL = "call", _("call")
        NIGHT = "night", _("night")
        CONSULTATION = "consultation", _("consultation")
        REFERRAL = "referral", _("referral")

    class Outcome(models.TextChoices):
        NONE = "none", _("No outcome")
        TRAINING = "training", _("Training (hours, completed, certified)")
        JOB_PLACEMENT = "job_placement", _("Job placement (sector, formal, start, still employed)")
        PSYCHOSOCIAL = "psychosocial", _("Psychosocial support (sessions, improvement)")
        CASH = "cash", _("Cash (amount and currency)")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    dimension = models.CharField(_("dimension"), max_length=14, choices=Dimension.choices)
    unit = models.CharField(_("unit"), max_length=14, choices=Unit.choices)
    requires_case = models.BooleanField(
        _("requires a case"),
        default=False,
        help_text=_("Reintegration services that are only given within a case."),
    )
    outcome = models.CharField(
        _("outcome recorded"), max_length=16, choices=Outcome.choices, default=Outcome.NONE
    )
    max_quantity = models.PositiveIntegerField(
        _("maximum quantity per delivery"),
        default=10,
        help_text=_("Larger quantities are refused as a typing mistake."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        ordering = ["category", "sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Provider(models.Model):
    """The organisation that delivered: the centre itself, IOM, a government office, an NGO, an employer."""

    class Kind(models.TextChoices):
        CENTRE = "centre", _("The reception centre")
        INTERNATIONAL = "international", _("International organisation")
        GOVERNMENT = "government", _("Government office")
        NGO = "ngo", _("Non-governmental organisation")
        EMPLOYER = "employer", _("Employer")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("country"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Distribution(models.Model):
    """One bulk submission (e.g. a flight's hygiene kits, food and transport): idempotent as a whole."""

    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4)
    center = models.ForeignKey(ReceptionCenter, on_delete=models.PROTECT, related_name="+")
    delivered_on = models.DateField(_("date"))
    group_label = models.CharField(_("group"), max_length=80, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("bulk distribution")
        verbose_name_plural = _("bulk distributions")

    def __str__(self) -> str:
        return f"{self.center_id} · {self.delivered_on} · {self.group_label}"


class ServiceDelivery(models.Model):
    """One thing delivered to one person. Never edited once completed: voided and replaced."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        NOT_COMPLETED = "not_completed", _("Not completed")

    class Sector(models.TextChoices):
        AGRICULTURE = "agriculture", _("Agriculture")
        CONSTRUCTION = "construction", _("Construction")
        MANUFACTURING = "manufacturing", _("Manufacturing")
        COMMERCE = "commerce", _("Commerce")
        HOSPITALITY = "hospitality", _("Hotels and restaurants")
        CALL_CENTRE = "call_centre", _("Call centre")
        TRANSPORT = "transport", _("Transport")
        SERVICES = "services", _("Other services")
        OTHER = "other", _("Other")

    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4)
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="service_deliveries",
        verbose_name=_("person"),
    )
    center = models.ForeignKey(
        ReceptionCenter,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reception centre"),
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_deliveries",
        verbose_name=_("case"),
    )
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("service")
    )
    delivered_on = models.DateField(_("date"))
    quantity = models.PositiveIntegerField(
        _("quantity"), default=1, validators=[MinValueValidator(1)]
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("provider"),
    )
    funding_award = models.CharField(
        _("funding award code"),
        max_length=40,
        blank=True,
        help_text=_("So that a donor's share can be counted."),
    )
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.COMPLETED
    )
    # Outcomes, by the type's outcome kind.
    training_hours = models.PositiveIntegerField(_("training hours"), null=True, blank=True)
    training_completed = models.BooleanField(_("training completed"), null=True, blank=True)
    training_certified = models.BooleanField(_("certified"), null=True, blank=True)
    employer_sector = models.CharField(
        _("employer sector"), max_length=16, choices=Sector.choices, blank=True
    )
    employment_formal = models.BooleanField(_("formal employment"), null=True, blank=True)
    employment_start = models.DateField(_("start date"), null=True, blank=True)
    still_employed_at_follow_up = models.BooleanField(
        _("still employed at follow-up"), null=True, blank=True
    )
    sessions_attended = models.PositiveSmallIntegerField(
        _("sessions attended"), null=True, blank=True
    )
    improvement_noted = models.BooleanField(_("improvement noted"), null=True, blank=True)
    cash_amount = models.DecimalField(
        _("amount"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    cash_currency = models.CharField(_("currency"), max_length=3, blank=True)
    distribution = models.ForeignKey(
        Distribution, on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries"
    )
    referral = models.ForeignKey(
        "casework.Referral",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_deliveries",
        verbose_name=_("referral"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("voided by"),
    )
    void_reason = models.CharField(_("reason for voiding"), max_length=300, blank=True)
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces"),
    )
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("service delivery")
        verbose_name_plural = _("service deliveries")
        ordering = ["-delivered_on", "-pk"]
        indexes = [
            models.Index(fields=["person", "-delivered_on"], name="delivery_person_date"),
            models.Index(fields=["center", "-delivered_on"], name="delivery_center_date"),
            models.Index(fields=["service_type", "delivered_on"], name="delivery_type_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(voided_at__isnull=True) | ~models.Q(void_reason=""),
                name="voided_delivery_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_type_id} × {self.quantity} → {self.person_id}"

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.delivered_on and self.center_id:
            today = self.center.local_now().date()
            message = DELIVERY_DATES.error(self.delivered_on, today=today)
            if message:
                errors["delivered_on"] = [message]
        if self.employment_start:
            message = PLANNED_DATES.error(self.employment_start, today=timezone.localdate())
            if message:
                errors["employment_start"] = [message]
        if errors:
            raise ValidationError(errors)


OUTCOME_FIELDS: dict[str, tuple[str, ...]] = {
    ServiceType.Outcome.NONE: (),
    ServiceType.Outcome.TRAINING: ("training_hours", "training_completed", "training_certified"),
    ServiceType.Outcome.JOB_PLACEMENT: (
        "employer_sector",
        "employment_formal",
        "employment_start",
        "still_employed_at_follow_up",
    ),
    ServiceType.Outcome.PSYCHOSOCIAL: ("sessions_attended", "improvement_noted"),
    ServiceType.Outcome.CASH: ("cash_amount", "cash_currency"),
}
ALL_OUTCOME_FIELDS = tuple(f for fields in OUTCOME_FIELDS.values() for f in fields)
