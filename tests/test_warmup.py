"""A web process loads its views, catalogues and templates before it serves, once, in gunicorn's
master (--preload), without a database connection for the workers to share."""

from __future__ import annotations

from django.db import connections
from django.template import engines
from django.template.loaders.cached import Loader as CachedLoader

from config.warmup import project_templates, warm_up


def test_every_project_template_is_found_and_no_library_one():
    names = project_templates()

    assert "base.html" in names
    assert "casework/case_list.html" in names and "registry/home.html" in names
    assert not any(name.startswith(("admin/", "rest_framework/", "guardian/")) for name in names)


def test_warm_up_keeps_every_project_template_compiled_and_touches_no_database():
    """No `db` fixture: pytest-django refuses to open a connection or query, and no
    connection may be opened for the forked workers to share."""
    before = {connection.alias: connection.connection for connection in connections.all()}
    engine = engines["django"].engine
    (loader,) = engine.template_loaders
    assert isinstance(loader, CachedLoader)  # as in production: DEBUG is off
    loader.reset()

    warm_up()

    assert set(project_templates()) <= set(loader.get_template_cache)
    after = {connection.alias: connection.connection for connection in connections.all()}
    assert all(after[alias] is before[alias] for alias in before)
