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
