"""The person page, composed from parts and timeline entries that apps contribute.

registry imports no other app, yet the person page shows arrivals (intake), cases (casework)
and services (services). Those apps register a part and a timeline source here when they start
(AppConfig.ready); every contributor scopes its own rows to the viewer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest

from .models import Person
from .permissions import User


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline. `url_name`/`url_arg` are reversed by the template, unless the
    source gives the `url` itself (reversed once for many entries that share it)."""

    when: datetime  # aware, in the centre's time zone
    date_only: bool  # a due date has no time of day
    kind: str  # arrival, case_opened, case_closed, note, referral, follow_up_*, delivery
    label: str
    text: str
    center_name: str
    time_zone: str
    url_name: str
    url_arg: object
    overdue: bool = False
    url: str = ""


@dataclass(frozen=True)
class PersonPart:
    """A section of the person page: a template and the context it reads as `part`."""

    order: int
    template: str
    context: dict = field(default_factory=dict)


class PageParts:
    """The contributors of one page's parts (the person page, the case page, the home page):
    each is called with the page's arguments and answers a part, or None when it has nothing
    for this viewer; the parts are shown by their order."""

    def __init__(self) -> None:
        self._contributors: list[Callable[..., PersonPart | None]] = []

    def register(self, contributor: Callable[..., PersonPart | None]) -> Any:
        if contributor not in self._contributors:
            self._contributors.append(contributor)
        return contributor

    def parts(self, *args: Any) -> list[PersonPart]:
        found = [part for part in (c(*args) for c in self._contributors) if part is not None]
        return sorted(found, key=lambda part: part.order)


PartContributor = Callable[[HttpRequest, Person], PersonPart | None]
TimelineSource = Callable[[User, Person], Iterable[TimelineEntry]]

_person_parts = PageParts()
_timeline_sources: list[TimelineSource] = []


def register_part(contributor: PartContributor) -> PartContributor:
    registered: PartContributor = _person_parts.register(contributor)
    return registered


def register_timeline_source(source: TimelineSource) -> TimelineSource:
    if source not in _timeline_sources:
        _timeline_sources.append(source)
    return source


def person_page_parts(request: HttpRequest, person: Person) -> list[PersonPart]:
    return _person_parts.parts(request, person)


def person_timeline(*, user: User, person: Person) -> list[TimelineEntry]:
    """Everything recorded about the person that the viewer may see, newest first."""
    entries = [entry for source in _timeline_sources for entry in source(user, person)]
    # A stable sort keeps same-moment entries in the order the sources gave them.
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries


def at(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz)


def start_of(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)
