"""The plausible range of every date a user can enter, in one place.

Models check their dates against these ranges in clean(), so every action does through
full_clean() whatever the door; lookups that reach no action (filters, the duplicate-candidates
query, a day in a query string) put the same range on their field as a validator. Outside these
ranges a date is a typing mistake, and year 1 or 9999 overflows the date arithmetic and time
zone conversions the pages do: a record stored with it would answer 500 for ever.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)
# Arrivals, deliveries and casework: the programme's records start long after this.
EARLIEST_EVENT_DATE = dt.date(2000, 1, 1)
# Plan targets, follow-ups, a job's start and the days a list can be asked for.
DAYS_AHEAD_PLANNED = 10 * 366

_TOO_EARLY = _("The date cannot be before %(date)s.")
_TOO_LATE = _("The date cannot be after %(date)s.")


def _shown(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class DateRange:
    """From `earliest` to `days_ahead` days after today (today at the centre, where known).

    An instance is also a form and serializer validator; it then takes today in the project's
    time zone (that of every centre, give or take the hours no bound here is fine enough for).
    """

    earliest: dt.date
    days_ahead: int
    too_early: Promise = _TOO_EARLY
    too_late: Promise = _TOO_LATE

    def latest(self, today: dt.date) -> dt.date:
        return today + dt.timedelta(days=self.days_ahead)

    def error(
        self, value: dt.date | dt.datetime, *, today: dt.date, tz: dt.tzinfo | None = None
    ) -> str | None:
        """Why `value` (a datetime: its date in `tz`) is out of range, or None."""
        if isinstance(value, dt.datetime):
            # Year 1 or 9999 with an offset cannot be converted: out of range either way.
            with contextlib.suppress(OverflowError):
                if timezone.is_aware(value):
                    value = value.astimezone(tz or timezone.get_current_timezone())
            value = value.date()
        if value < self.earliest:
            return self.too_early % {"date": _shown(self.earliest)}
        if value > self.latest(today):
            return self.too_late % {"date": _shown(self.latest(today))}
        return None

    def __call__(self, value: dt.date | None) -> None:
        if value is None:
            return
        message = self.error(value, today=timezone.localdate())
        if message:
            raise ValidationError(message, code="date_out_of_range")


BIRTH_DATES = DateRange(
    EARLIEST_BIRTH_DATE,
    days_ahead=0,
    too_early=_("The date of birth cannot be before %(date)s."),
    too_late=_("The date of birth cannot be in the future."),
)
ARRIVAL_DATES = DateRange(
    EARLIEST_EVENT_DATE,
    days_ahead=1,
    too_early=_("The date of arrival cannot be before %(date)s."),
    too_late=_("The arrival cannot be more than a day ahead."),
)
DELIVERY_DATES = DateRange(
    EARLIEST_EVENT_DATE,
    days_ahead=0,
    too_late=_("The date cannot be after today at the centre."),
)
PLANNED_DATES = DateRange(EARLIEST_EVENT_DATE, days_ahead=DAYS_AHEAD_PLANNED)
# What a list or a lookup may be asked for: any day a record above can carry.
QUERY_DATES = DateRange(EARLIEST_BIRTH_DATE, days_ahead=DAYS_AHEAD_PLANNED)
