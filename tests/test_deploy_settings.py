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
