from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Demo data, synthetic national-scale data and benchmarks: management commands for a
    checkout (make demo, make bench, make synthetic, make loadtest), never installed with the
    product (pyproject.toml leaves this package out)."""

    name = "devtools"
    verbose_name = "Developer tools"
