"""The floor of the load test: a bare Django view that replays each request's SQL.

Served by gunicorn exactly as Retorno is (same workers, same database connection settings:
persistent, health-checked, jit off), and sent the same load by locust with
LOADTEST_TARGET=floor. `GET /floor/<username>/<kind>/` runs the statements that the account's
request of that kind sent when `manage.py bench --loadtest-prepare` captured it
(devtools.loadtest_floor), every row fetched, in one transaction that is rolled back so that a
replayed write leaves nothing behind. No middleware, no session, no template, no ORM: what
Retorno costs above this is Django's request handling, our code and its ORM and templates.

Environment: DATABASE_URL (the benchmark database), LOADTEST_FLOOR (the captured floor.json).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import django
from django.conf import settings

from config.settings.base import DATABASES

settings.configure(
    DEBUG=False,
    SECRET_KEY="the floor serves no user",  # noqa: S106 (nothing is signed)
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES=DATABASES,
    USE_TZ=True,
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import Http404, HttpRequest, HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402

STATEMENTS: dict[str, dict[str, list[str]]] = json.loads(
    Path(os.environ.get("LOADTEST_FLOOR", "loadtest/.run/floor.json")).read_text("utf-8")
)


def replay(request: HttpRequest, username: str, kind: str) -> HttpResponse:
    try:
        statements = STATEMENTS[username][kind]
    except KeyError:
        raise Http404 from None
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            if cursor.description is not None:
                cursor.fetchall()
        transaction.set_rollback(True)
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("floor/<str:username>/<str:kind>/", replay)]


application = get_wsgi_application()
