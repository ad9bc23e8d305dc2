"""Helpers for the cross-app tests: the repository root, subprocesses of manage.py, tool checks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# Set by pytest-django, CI or the browser fixtures; a child process gets its own explicitly.
TEST_ONLY_VARIABLES = frozenset(
    {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
)


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def require_tool(name: str, why: str) -> str:
    """The path of a command-line tool; a visible skip when missing, a failure in CI."""
    found = shutil.which(name)
    if found:
        return found
    reason = f"{name} not installed: {why}"
    if in_ci():
        pytest.fail(reason)
    pytest.skip(reason)


def clean_env(**overrides: str | None) -> dict[str, str]:
    """The current environment without settings that would leak into a child Django process.

    An override of None removes that variable.
    """
    env = {key: value for key, value in os.environ.items() if key not in TEST_ONLY_VARIABLES}
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def run_manage() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `manage.py <args>` in a child process with the given environment overrides."""

    def run(*args: str, cwd: Path = REPO_ROOT, timeout: int = 300, **env: str | None):
        return subprocess.run(
            [sys.executable, str(REPO_ROOT / "manage.py"), *args],
            cwd=cwd,
            env=clean_env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run


def reference_data_restore() -> None:
    """Re-run the project's data migrations against the live schema.

    A transactional test flushes every table when it ends, reference data included.
    `serialized_rollback` proved unreliable here (a plain test run before two browser tests
    left the second without countries), so each transactional test that needs it (browser
    tests, the real Celery worker) puts the reference data back itself: every RunPython operation of our apps' migrations, in migration order. They are
    written to be idempotent (update_or_create / get_or_create).
    """
    from django.apps import apps
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.operations.special import RunPython

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes(), clean_start=True)
    with connection.schema_editor() as schema_editor:
        for migration, _backwards in plan:
            if migration.app_label not in {
                "registry",
                "intake",
                "casework",
                "services",
                "reporting",
            }:
                continue
            for operation in migration.operations:
                if isinstance(operation, RunPython):
                    operation.code(apps, schema_editor)


@pytest.fixture
def reference_data(transactional_db) -> None:
    reference_data_restore()
