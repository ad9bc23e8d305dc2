"""Deployment checks (manage.py check --deploy) for settings that would fail silently."""

from django.conf import settings
from django.core.checks import Error, Tags, register

PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.security, deploy=True)
def rate_limits_are_shared(app_configs=None, **kwargs) -> list[Error]:
    """Rate limits counted in one process's memory let a client multiply them by the workers."""
    backend = settings.CACHES.get(settings.THROTTLE_CACHE, {}).get("BACKEND")
    if backend is None or backend in PER_PROCESS_CACHES:
        return [
            Error(
                f"CACHES[{settings.THROTTLE_CACHE!r}] is {backend or 'missing'}: rate limits "
                "would be counted per process.",
                hint="Set CACHE_URL=redis://... (or db://, the database cache).",
                id="retorno.E001",
            )
        ]
    return []
