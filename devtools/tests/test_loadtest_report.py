"""The load test's report: several runs give the median of each figure, beside each run's."""

from __future__ import annotations

import importlib.util
import sys

from django.conf import settings


def _run_module():
    spec = importlib.util.spec_from_file_location(
        "loadtest_run", settings.BASE_DIR / "loadtest/run.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("loadtest_run", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_median_of_each_figure_is_printed_beside_every_run(capsys):
    run = _run_module()

    run.report_medians(
        [
            {"rush p95 ms (Retorno)": 800.0, "person page CPU × floor, one at a time": 2.5},
            {"rush p95 ms (Retorno)": 540.0, "person page CPU × floor, one at a time": 1.9},
            {"rush p95 ms (Retorno)": 610.0, "person page CPU × floor, one at a time": 2.1},
        ]
    )

    lines = capsys.readouterr().out.splitlines()
    assert "median of 3 runs" in lines[1]
    p95 = next(line for line in lines if "rush p95" in line)
    assert p95.split()[-4:] == ["610.0", "(800.0,", "540.0,", "610.0)"]
    ratio = next(line for line in lines if "person page" in line)
    assert "2.1" in ratio.split("(")[0]
