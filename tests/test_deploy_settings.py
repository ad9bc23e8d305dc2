"""Production settings pass Django's deployment checks with nothing silenced."""

import secrets

import pytest

DEPLOY_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_ALLOWED_HOSTS": "retorno.example.org",
}


def test_check_deploy_reports_no_issues(run_manage):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        **DEPLOY_ENV,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNING" not in output and "?: (security.W" not in output, output


def test_production_refuses_to_start_without_a_secret_key(run_manage, repo_root):
    dotenv = repo_root / ".env"
    if dotenv.exists() and "DJANGO_SECRET_KEY" in dotenv.read_text():
        pytest.skip(".env sets DJANGO_SECRET_KEY, so the missing-key case cannot be tried here")

    result = run_manage("check", DJANGO_SECRET_KEY=None, **DEPLOY_ENV)

    # Production must never fall back to the development key in base settings.
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stdout + result.stderr


# Through the TLS proxy: the address the proxy saw, as the lockouts, audit log and throttles read it.
CLIENT_ADDRESSES = """
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.test import RequestFactory
from django.utils.module_loading import import_string

request = RequestFactory().get(
    "/", REMOTE_ADDR="172.18.0.2", HTTP_X_FORWARDED_FOR="192.0.2.66, 203.0.113.5"
)
audit = next(import_string(m) for m in settings.MIDDLEWARE if m.endswith("AuditlogMiddleware"))
throttles = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]
print(get_client_ip_address(request), audit._get_remote_addr(request), end=" ")
print(*(import_string(throttle)().get_ident(request) for throttle in throttles))
"""


@pytest.mark.parametrize(
    ("proxies", "expected"), [(None, "172.18.0.2"), ("0", "172.18.0.2"), ("1", "203.0.113.5")]
)
def test_production_reads_the_client_address_behind_the_trusted_proxies(
    run_manage, proxies, expected
):
    result = run_manage(
        "shell",
        "--verbosity=0",
        "-c",
        CLIENT_ADDRESSES,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        RETORNO_TRUSTED_PROXY_COUNT=proxies,
        **DEPLOY_ENV,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == [expected] * 4


def test_every_process_keeps_a_health_checked_database_connection(run_manage):
    """A connection per request cost a fifth of a rush's throughput (issue 15)."""
    show = (
        "from django.db import connection as c; "
        "print(c.settings_dict['CONN_MAX_AGE'], c.settings_dict['CONN_HEALTH_CHECKS'])"
    )
    result = run_manage(
        "shell",
        "--verbosity=0",
        "-c",
        show,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        DATABASE_URL="postgres://retorno@db.example.org:5432/retorno",
        **DEPLOY_ENV,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["600", "True"]
    zero = run_manage(
        "shell", "--verbosity=0", "-c", show, DATABASE_CONN_MAX_AGE="0", DATABASE_URL=None
    )
    assert zero.stdout.split() == ["0", "True"]


def test_postgresql_prepares_the_statements_a_connection_repeats(run_manage):
    """PostgreSQL planned the hot pages' queries at every request: a statement a connection has
    sent five times is prepared (server-side binding). Off for a pooler that cannot keep them."""
    show = (
        "from django.db import connection as c; o = c.settings_dict['OPTIONS']; "
        "print(o.get('server_side_binding'), o.get('prepare_threshold'), "
        "c.get_connection_params().get('prepare_threshold'))"
    )
    production = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DATABASE_URL": "postgres://retorno@db.example.org:5432/retorno",
        **DEPLOY_ENV,
    }

    on = run_manage("shell", "--verbosity=0", "-c", show, **production)
    off = run_manage(
        "shell", "--verbosity=0", "-c", show, DATABASE_PREPARED_STATEMENTS="false", **production
    )
    embedded = run_manage("shell", "--verbosity=0", "-c", show, DATABASE_URL=None)

    assert on.returncode == 0, on.stdout + on.stderr
    assert on.stdout.split() == ["True", "5", "5"]
    assert off.stdout.split() == ["None", "None", "None"]
    assert embedded.stdout.split()[:2] == ["None", "None"]  # SQLite: nothing to prepare
