"""The server-drawn charts: bars in proportion to the figures, an axis that holds the largest one,
and coordinates a browser can read in every language (no decimal comma in Spanish)."""

import re

import pytest
from django.template import Context, Template
from django.utils import translation

from reporting.templatetags.charts import bar_chart, column_chart, nice_top


@pytest.mark.parametrize(
    ("largest", "top"),
    [(0, 1), (1, 1), (4, 4), (7, 8), (23, 25), (96, 100), (1234, 1500), (80_000, 80_000)],
)
def test_the_axis_holds_the_largest_value_in_few_round_steps(largest, top):
    axis_top, step = nice_top(largest)

    assert axis_top == top
    assert axis_top >= largest and axis_top % step == 0 and axis_top // step <= 5


def test_columns_are_in_proportion_to_the_figures():
    chart = column_chart("c", "t", "d", ["Oct", "Nov"], [("A", [10, 5]), ("B", [0, 20])])

    heights = {(bar.label, bar.series): bar.height for bar in chart["bars"]}
    assert heights[("Oct", "A")] == pytest.approx(2 * heights[("Nov", "A")])
    assert heights[("Nov", "B")] == pytest.approx(2 * heights[("Oct", "A")])
    assert heights[("Oct", "B")] == 0
    for bar in chart["bars"]:  # every column stands on the baseline
        assert bar.y + bar.height == pytest.approx(chart["baseline"], abs=0.2)


def test_bars_are_in_proportion_and_the_longest_fills_the_plot():
    chart = bar_chart("b", "t", "d", ["Kit", "Food", "None"], [3, 12, 0])

    widths = [bar.width for bar in chart["bars"]]
    assert widths[1] == pytest.approx(4 * widths[0])
    assert widths[2] == 0
    assert chart["bars"][1].end <= chart["width"]


def test_svg_coordinates_have_no_decimal_comma_in_spanish():
    template = Template(
        "{% load charts %}"
        '{% column_chart "c" "Título" "Descripción" months series %}'
        '{% bar_chart "b" "Título" "Descripción" names values %}'
    )
    context = Context(
        {
            "months": ["ene 2026", "feb 2026", "mar 2026"],
            "series": [("Recibidos", [7, 3, 1]), ("Ayuda", [2, 0, 5])],
            "names": ["Kit de higiene", "Alimentación"],
            "values": [3, 7],
        }
    )
    with translation.override("es"):
        svg = template.render(context)

    numbers = re.findall(r'\s(?:x|y|x1|x2|y1|y2|width|height|dy)="([^"]*)"', svg)
    assert numbers
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", number) for number in numbers), numbers
    assert '<title id="c-title">Título</title>' in svg
    assert 'aria-labelledby="b-title b-desc"' in svg
