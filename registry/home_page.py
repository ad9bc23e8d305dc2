"""The home page's parts that other apps contribute (reporting's donor entry point).

casework imports no app above it; an app that has something for the signed-in user's home page
registers a contributor here when it starts (AppConfig.ready). A contributor answers None when
the part is not for this user, and makes no query for users it is not for.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from .person_page import PersonPart

HomePartContributor = Callable[[HttpRequest], PersonPart | None]

_home_parts: list[HomePartContributor] = []


def register_home_part(contributor: HomePartContributor) -> HomePartContributor:
    if contributor not in _home_parts:
        _home_parts.append(contributor)
    return contributor


def home_page_parts(request: HttpRequest) -> list[PersonPart]:
    parts = [part for part in (c(request) for c in _home_parts) if part is not None]
    return sorted(parts, key=lambda part: part.order)
