"""What `pip install .` installs: the product's apps, never the developer tools."""

import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parent.parent


def installed_packages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    return set(find_packages(where=str(ROOT), include=include))


def test_the_product_is_installed_without_devtools():
    packages = installed_packages()

    assert {"config", "registry", "intake", "casework", "services", "reporting"} <= packages
    assert not {p for p in packages if p == "devtools" or p.startswith("devtools.")}
    assert not {p for p in packages if p.startswith(("tests", "loadtest"))}
