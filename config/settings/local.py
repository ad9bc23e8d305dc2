"""Local development: the embedded default (SQLite, in-process tasks) with DEBUG on."""

from importlib.util import find_spec

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# Demo and synthetic data, benchmarks (devtools/ in a checkout; not installed with the product).
if find_spec("devtools") is not None:
    INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]  # noqa: F405
