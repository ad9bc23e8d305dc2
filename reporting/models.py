"""Indicator definitions (data, in es and en) and the append-only log of donor aggregate pulls."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Indicator(models.Model):
    """What is counted and how: the name and definition are data; the rule is code."""

    class Unit(models.TextChoices):
        PERSONS = "persons", _("Unique persons")
        DELIVERIES = "deliveries", _("Service deliveries")
        ARRIVALS = "arrivals", _("Arrivals")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=150)
    definition = models.TextField(_("definition"))
    # The name of the counting rule in reporting.indicators.RULES: changing it is a code change.
    counting_rule = models.CharField(_("counting rule"), max_length=40)
    unit = models.CharField(_("unit counted"), max_length=12, choices=Unit.choices)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["sort_order", "code"]
        permissions = [
            ("view_aggregates", _("Can read anonymised aggregate counts (donor API)")),
        ]

    def __str__(self) -> str:
        return self.name


class AggregatePull(models.Model):
    """One aggregate table handed out by the donor API. Append-only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("user"),
    )
    indicator = models.CharField(_("indicator"), max_length=40)
    period = models.CharField(_("period"), max_length=40)
    dims = models.CharField(_("disaggregated by"), max_length=100, blank=True)
    at = models.DateTimeField(_("pulled at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("aggregate pull")
        verbose_name_plural = _("aggregate pulls")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.indicator} · {self.period} · {self.dims}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError(_("The log of aggregate pulls cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("The log of aggregate pulls cannot be deleted."))


# --- Summary tables: kept current by Celery (reporting.summary), never edited by hand ----------


class EventFact(models.Model):
    """One counted event with every disaggregation value resolved at the event date.

    An arrival, or a completed delivery that is not voided, of a person who may be counted in
    statistics. Built from the base tables by reporting.summary, a person at a time after each
    change and in full every night; the indicators count these rows instead of joining five
    tables and testing consent for every report.
    """

    class Event(models.TextChoices):
        ARRIVAL = "arrival", _("Arrival")
        DELIVERY = "delivery", _("Service delivery")

    event = models.CharField(_("event"), max_length=8, choices=Event.choices)
    source_id = models.BigIntegerField(_("arrival or delivery"))
    # No foreign-key constraints: the facts are a derived copy, rebuilt from the base tables.
    person = models.ForeignKey(
        "registry.Person",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("person"),
    )
    center = models.ForeignKey(
        "registry.ReceptionCenter",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("reception centre"),
    )
    local_date = models.DateField(_("date at the centre"))
    # The person's statistical record key (casework.Person.record_key), for the cell keys.
    record_key = models.PositiveIntegerField(_("statistical record key"), default=0)
    sex = models.CharField(_("sex"), max_length=12, null=True, blank=True)
    # The band is worked out when counting, so that a change of age bands needs no rebuild.
    age = models.SmallIntegerField(_("age at the event date"), null=True, blank=True)
    country = models.CharField(_("nationality"), max_length=2, null=True, blank=True)
    department = models.CharField(_("department of origin"), max_length=12)
    center_code = models.CharField(_("reception centre"), max_length=20)
    mode = models.CharField(_("return mode"), max_length=10, null=True, blank=True)
    returned_from = models.CharField(_("returned from"), max_length=2, null=True, blank=True)
    unaccompanied_minor = models.CharField(
        _("unaccompanied minor"), max_length=3, null=True, blank=True
    )
    service_type = models.CharField(_("service type"), max_length=40, null=True, blank=True)
    category = models.CharField(_("category"), max_length=20, null=True, blank=True)
    dimension = models.CharField(_("dimension"), max_length=20, null=True, blank=True)
    training_completed = models.BooleanField(_("training completed"), default=False)
    quantity = models.PositiveIntegerField(_("quantity"), default=0)
    earlier_arrival = models.BooleanField(_("returned before this arrival"), default=False)
    another_arrival = models.BooleanField(_("has another arrival"), default=False)

    class Meta:
        verbose_name = _("counted event")
        verbose_name_plural = _("counted events")
        constraints = [
            models.UniqueConstraint(fields=["event", "source_id"], name="eventfact_one_per_source")
        ]
        indexes = [
            models.Index(fields=["event", "local_date"], name="eventfact_event_date"),
            models.Index(fields=["person"], name="eventfact_person"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.source_id} · {self.local_date}"


class PersonVulnerabilityFact(models.Model):
    """A vulnerability category recorded on any case of a person who may be counted."""

    person = models.ForeignKey(
        "registry.Person",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("person"),
    )
    code = models.CharField(_("vulnerability"), max_length=40)

    class Meta:
        verbose_name = _("counted vulnerability")
        verbose_name_plural = _("counted vulnerabilities")
        constraints = [
            models.UniqueConstraint(fields=["person", "code"], name="vulnerabilityfact_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} · {self.code}"


class SummaryTable(models.Model):
    """The raw counts (before disclosure control) of one indicator × whole period × dimensions.

    Computed from the counted events on first use, re-computed by Celery when an event in its
    period changes, and in full every night. `scope` is "" for every centre, else the centre ids.
    """

    indicator = models.CharField(_("indicator"), max_length=40)
    period = models.CharField(_("period"), max_length=40)
    period_start = models.DateField(_("first day"))
    period_end = models.DateField(_("last day"))
    dims = models.CharField(_("disaggregated by"), max_length=100, blank=True)
    scope = models.CharField(_("centres"), max_length=200, blank=True)
    counts = models.JSONField(_("counts"))
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("summary table")
        verbose_name_plural = _("summary tables")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period", "dims", "scope"], name="summarytable_unique"
            )
        ]
        indexes = [
            models.Index(fields=["period_start", "period_end"], name="summarytable_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} · {self.period} · {self.dims}"


class SummaryState(models.Model):
    """One row: when the counted events were last rebuilt in full and last brought up to date."""

    rebuilt_at = models.DateTimeField(_("last full rebuild"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("up to date as of"), null=True, blank=True)

    class Meta:
        verbose_name = _("summary state")
        verbose_name_plural = _("summary state")

    def __str__(self) -> str:
        return f"{self.rebuilt_at} / {self.refreshed_at}"


class SummaryPending(models.Model):
    """A person whose counted facts changed, waiting for the next batched summary refresh
    (reporting/refreshing.py). A person may be queued many times: the batch refreshes once."""

    person_id = models.UUIDField(_("person"))
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)

    class Meta:
        verbose_name = _("person waiting for the summary refresh")
        verbose_name_plural = _("persons waiting for the summary refresh")

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.queued_at}"


class Release(models.Model):
    """A closed period's published tables, frozen: what the donor API served the day it closed.

    Later changes to the period's data never move it; they show in the next period's figures."""

    period = models.CharField(_("period"), max_length=40, unique=True)
    kind = models.CharField(_("kind of period"), max_length=20)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    created_at = models.DateTimeField(_("published at"), default=timezone.now)
    k = models.PositiveSmallIntegerField(_("threshold k"))
    bound = models.PositiveSmallIntegerField(_("perturbation bound"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        ordering = ["-end", "period"]

    def __str__(self) -> str:
        return self.period


class ReleaseTable(models.Model):
    """One table of a release in one language: the donor API's JSON answer, as text.

    Text rather than a JSON column: PostgreSQL's jsonb reorders keys, and the answer must be the
    same bytes on every pull."""

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="tables", verbose_name=_("release")
    )
    language = models.CharField(_("language"), max_length=10)
    indicator = models.CharField(_("indicator"), max_length=40)
    dims = models.CharField(_("disaggregated by"), max_length=100, blank=True)
    body = models.TextField(_("published table (JSON)"))

    class Meta:
        verbose_name = _("released table")
        verbose_name_plural = _("released tables")
        constraints = [
            models.UniqueConstraint(
                fields=["release", "language", "indicator", "dims"], name="release_table_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.release_id} · {self.language} · {self.indicator} · {self.dims}"
