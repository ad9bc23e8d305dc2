"""The home page's parts that other apps contribute (reporting's donor entry point).

registry imports no app above it; an app that has something for the signed-in user's home page
registers a contributor here when it starts (AppConfig.ready). A contributor answers None when
the part is not for this user, and makes no query for users it is not for.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from .person_page import PageParts, PersonPart

HomePartContributor = Callable[[HttpRequest], PersonPart | None]

_home_parts = PageParts()


def register_home_part(contributor: HomePartContributor) -> HomePartContributor:
    registered: HomePartContributor = _home_parts.register(contributor)
    return registered


def home_page_parts(request: HttpRequest) -> list[PersonPart]:
    return _home_parts.parts(request)
