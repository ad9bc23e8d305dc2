"""Local development: the embedded default (SQLite, in-process tasks) with DEBUG on."""

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
