"""WSGI entry point for gunicorn (`--preload`: loaded once in the master, see config.warmup)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()

from config.warmup import warm_up  # noqa: E402 (after Django is set up)

warm_up()
