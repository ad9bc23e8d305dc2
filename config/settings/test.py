"""Test settings: fast password hashing, in-memory default cache (rate limits: the database cache); DATABASE_URL still honoured."""

from .base import *  # noqa: F401,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True

# Rate limits counted per process here: the query counts the tests pin leave out the counter's
# own queries. tests/test_shared_rate_limits.py counts them in the database cache and in Redis,
# as the embedded default and production do (the root conftest empties this cache per test).
CACHES = {
    **CACHES,  # noqa: F405
    THROTTLE_CACHE: {  # noqa: F405
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "throttle",
    },
}

# Every request renews the session (saved each time), so that a page's query count does not
# depend on how long ago the test signed in; the renewal interval is tested on its own
# (registry/tests/test_session.py).
SESSION_RENEW_SECONDS = 0

# Each test sees the reference rows its own transaction holds: no per-process copy (the copy is
# tested with it turned on, registry/tests/test_reference_cache.py).
REFERENCE_CACHE_SECONDS = 0

# Demo and synthetic data, benchmarks: tested with the product, not installed with it.
INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]  # noqa: F405
