"""What a web process loads once, before it serves: every view module, the translation
catalogues and the project's templates, compiled.

gunicorn runs this in its master before forking the workers (`--preload`), so the workers share
it: without it each worker loaded them on its first requests (about a quarter of a second of
CPU each, issue 15), paid again by every worker gunicorn starts. Nothing here opens a database
connection, which a fork must not share.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from django.conf import settings
from django.template.loader import get_template
from django.template.utils import get_app_template_dirs
from django.urls import get_resolver
from django.utils import translation


def project_templates() -> list[str]:
    """The names of the project's own templates (its template folder and its apps')."""
    root = Path(settings.BASE_DIR).resolve()
    configured = cast(list[str], settings.TEMPLATES[0]["DIRS"])
    folders = [Path(folder) for folder in configured]
    folders += [Path(folder) for folder in get_app_template_dirs("templates")]
    names: set[str] = set()
    for folder in folders:
        if not folder.resolve().is_relative_to(root) or ".venv" in folder.parts:
            continue  # a library's templates: loaded if a page uses them
        names.update(str(path.relative_to(folder)) for path in folder.rglob("*.html"))
    return sorted(names)


def warm_up() -> None:
    """Load the views, catalogues and templates into this process (see the module's text)."""
    get_resolver().url_patterns  # noqa: B018 (importing the URLconf imports every view)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Spanish")
    if settings.DEBUG:
        return  # templates are not kept compiled when debugging: they are read at each use
    for name in project_templates():
        get_template(name)
