"""docker-compose.yml starts the five services the architecture names, wired to code that exists."""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import shlex
import subprocess

import pytest
import yaml

from tests.conftest import REPO_ROOT, clean_env

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
SERVICES = {"postgres", "redis", "web", "worker", "beat"}
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def _command(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def _healthcheck_test(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else str(test)


def test_the_five_services_are_defined(compose):
    assert set(compose["services"]) == SERVICES


def test_databases_use_the_expected_images_and_check_their_health(compose):
    services = compose["services"]

    assert services["postgres"]["image"].startswith("postgres:16")
    assert "pg_isready" in _healthcheck_test(services["postgres"])
    assert services["redis"]["image"].startswith("redis:7")
    assert "redis-cli ping" in _healthcheck_test(services["redis"])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_databases(compose, name):
    service = compose["services"][name]

    assert "build" in service, f"{name} must be built from the Dockerfile"
    assert service["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_production_settings_on_postgres_and_redis(compose, name):
    env = compose["services"][name]["environment"]

    assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    assert importlib.util.find_spec(env["DJANGO_SETTINGS_MODULE"]) is not None
    assert (
        env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
    )
    assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    # rate limits count across the web and worker processes (not per process, not in the broker's db)
    assert env["CACHE_URL"].startswith("redis://redis:6379/")
    assert env["CACHE_URL"] != env["CELERY_BROKER_URL"]
    # The secret comes from .env or the environment, never from the file itself.
    assert env["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY")
    # each process keeps its database connection (not one per request)
    assert env["DATABASE_CONN_MAX_AGE"] == "${DATABASE_CONN_MAX_AGE:-600}"


def test_web_migrates_then_serves_the_wsgi_application(compose):
    web = compose["services"]["web"]
    command = _command(web)

    assert command.index("migrate") < command.index("gunicorn")
    target = re.search(r"gunicorn\s+(\S+)", command).group(1)
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attribute)), f"{target} is not a WSGI callable"
    assert "0.0.0.0:8000" in command
    # loaded once before the workers fork (config.warmup), not by each on its first requests
    assert "--preload" in shlex.split(command)

    probe = web["healthcheck"]["test"]
    assert probe[:3] == ["CMD", "python", "-c"] and "/login/" in probe[3]
    compile(probe[3], "web healthcheck", "exec")  # the probe itself is valid Python


@pytest.mark.parametrize(("name", "subcommand"), [("worker", "worker"), ("beat", "beat")])
def test_celery_services_point_at_the_project_app(compose, name, subcommand):
    from celery import Celery

    words = shlex.split(_command(compose["services"][name]))

    assert words[:4] == ["celery", "-A", words[2], subcommand]
    # `celery -A config` finds config.celery_app (config/__init__.py) or config.celery.app.
    package = importlib.import_module(words[2])
    assert isinstance(getattr(package, "celery_app", None), Celery)


def test_named_volumes_are_declared(compose):
    declared = set(compose.get("volumes") or {})
    used = {
        mount.split(":", 1)[0]
        for service in compose["services"].values()
        for mount in service.get("volumes", [])
        if not mount.startswith((".", "/", "~"))
    }

    assert "postgres-data" in used
    assert used <= declared, f"volumes used but not declared: {sorted(used - declared)}"


def test_dockerfile_runs_as_a_user_and_collects_static_files():
    dockerfile = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")

    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.M)
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users and users[-1] not in {"root", "0"}
    assert "collectstatic" in dockerfile
    cmd = re.search(r"^CMD (\[.*?\])$", dockerfile, re.M | re.S).group(1)
    command = json.loads(cmd.replace("\\\n", ""))
    assert command[:2] == ["gunicorn", "config.wsgi:application"] and "--preload" in command


def test_docker_compose_accepts_the_file():
    docker = subprocess.run(
        ["sh", "-c", "command -v docker && docker compose version"],
        capture_output=True,
        text=True,
        check=False,
    )
    if docker.returncode != 0:
        pytest.skip("docker compose CLI not installed: structural checks only")

    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE_FILE), "config", "--quiet"],
        cwd=REPO_ROOT,
        env=clean_env(DJANGO_SECRET_KEY="x" * 50),
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr


def test_web_reads_the_client_address_behind_the_tls_proxy(compose):
    """One proxy in front by default: lockouts and the audit log use the address it saw."""
    env = compose["services"]["web"]["environment"]

    assert env["RETORNO_TRUSTED_PROXY_COUNT"] == "${RETORNO_TRUSTED_PROXY_COUNT:-1}"
