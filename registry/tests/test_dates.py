"""The plausible ranges of dates users enter: bounds included, years 1 and 9999 never overflow."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from ..dates import ARRIVAL_DATES, BIRTH_DATES, QUERY_DATES

TODAY = dt.date(2026, 3, 10)
GUATEMALA = zoneinfo.ZoneInfo("America/Guatemala")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("day", "ok"),
    [
        (dt.date(1999, 12, 31), False),
        (dt.date(2000, 1, 1), True),
        (dt.date(2026, 3, 11), True),
        (dt.date(2026, 3, 12), False),
    ],
)
def test_arrivals_from_2000_to_tomorrow(day, ok):
    assert (ARRIVAL_DATES.error(day, today=TODAY) is None) is ok


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14))), "before 01/01/2000"),
        (dt.datetime(1, 1, 1, 1, tzinfo=dt.UTC), "before 01/01/2000"),
        (dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone(-dt.timedelta(hours=14))), "ahead"),
    ],
)
def test_a_time_that_cannot_be_converted_is_out_of_range_not_an_overflow(when, message):
    assert message in ARRIVAL_DATES.error(when, today=TODAY, tz=GUATEMALA)


def test_a_time_counts_by_its_date_at_the_centre():
    # 03:00 UTC on 12 March is still 11 March (tomorrow) in Guatemala.
    assert (
        ARRIVAL_DATES.error(dt.datetime(2026, 3, 12, 3, tzinfo=dt.UTC), today=TODAY, tz=GUATEMALA)
        is None
    )
    assert ARRIVAL_DATES.error(
        dt.datetime(2026, 3, 12, 6, tzinfo=dt.UTC), today=TODAY, tz=GUATEMALA
    )


def test_births_from_1900_and_not_in_the_future():
    assert BIRTH_DATES.error(dt.date(1900, 1, 1), today=TODAY) is None
    assert BIRTH_DATES.error(dt.date(1899, 12, 31), today=TODAY) == (
        "The date of birth cannot be before 01/01/1900."
    )
    assert BIRTH_DATES.error(dt.date(2026, 3, 11), today=TODAY) == (
        "The date of birth cannot be in the future."
    )


def test_as_a_validator_it_refuses_with_its_message_and_lets_an_empty_value_pass():
    QUERY_DATES(None)
    with pytest.raises(ValidationError) as refused:
        QUERY_DATES(dt.date(9999, 12, 31))
    assert refused.value.messages[0].startswith("The date cannot be after ")
