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
