# Retorno web, worker and beat image: Python 3.11, dependencies from pyproject.toml, a
# non-root user, static files collected at build time (served by whitenoise).
FROM python:3.11-slim

# The code runs from /app (PYTHONPATH), where templates, locale and static files sit next to it.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=config.settings.production

RUN groupadd --system --gid 1000 retorno \
    && useradd --system --uid 1000 --gid retorno --home-dir /app --shell /usr/sbin/nologin retorno

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir -p config registry intake casework services reporting \
    && touch config/__init__.py registry/__init__.py intake/__init__.py casework/__init__.py \
        services/__init__.py reporting/__init__.py \
    && pip install . \
    && pip uninstall --yes retorno \
    && rm -rf config registry intake casework services reporting build ./*.egg-info

COPY . .
RUN pip install --no-deps . \
    && rm -rf build ./*.egg-info \
    && DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost \
        python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/media \
    && chown retorno:retorno /app/media

USER retorno
EXPOSE 8000

# --preload: the views, catalogues and templates are loaded once, before the workers fork
# (config.warmup), not by each worker on its first requests.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--preload", "--access-logfile", "-"]
