"""Server-drawn SVG charts: the geometry is computed here, the markup is in reporting/charts/.

Each chart is an <svg role="img"> named by its <title> and <desc>; every bar carries its own
<title> (the value, for a pointer or a screen reader). The figures themselves are in the table
the page puts beneath each chart: a chart is never the only place a number is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django import template

register = template.Library()

# Series colours: each has at least 3:1 contrast against white (WCAG 1.4.11).
PALETTE = ("#0b5394", "#b45309", "#2f7d32", "#8e3b8e", "#5f6b76")
WIDTH = 720


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str
    series: str
    color: str

    @property
    def end(self) -> float:
        return self.x + self.width


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


def nice_top(largest: int) -> tuple[int, int]:
    """(axis top, tick step): a 1-2-5 step giving at most 5 ticks above zero."""
    if largest <= 0:
        return 1, 1
    raw = largest / 5
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(1, int(step))
    return step * math.ceil(largest / step), step


def _value(value) -> int:
    return int(value or 0)


@register.inclusion_tag("reporting/charts/columns.html")
def column_chart(
    chart_id: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
) -> dict:
    """Grouped columns: one group per category, one column per series."""
    left, right, top, bottom = 56, 12, 16, 40
    height = 280
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    largest = max((_value(v) for _name, values in series for v in values), default=0)
    axis_top, step = nice_top(largest)
    ticks = [Tick(v, top + plot_h - plot_h * v / axis_top) for v in range(0, axis_top + 1, step)]
    count = max(len(categories), 1)
    group_w = plot_w / count
    bar_w = group_w * 0.8 / max(len(series), 1)
    bars, labels = [], []
    for i, category in enumerate(categories):
        x0 = left + i * group_w + group_w * 0.1
        labels.append(Label(round(left + (i + 0.5) * group_w, 1), top + plot_h + 18, category))
        for s, (name, values) in enumerate(series):
            value = _value(values[i]) if i < len(values) else 0
            h = plot_h * value / axis_top
            bars.append(
                Bar(
                    round(x0 + s * bar_w, 1),
                    round(top + plot_h - h, 1),
                    round(max(bar_w - 1, 1), 1),
                    round(h, 1),
                    value,
                    category,
                    name,
                    PALETTE[s % len(PALETTE)],
                )
            )
    return {
        "chart_id": chart_id,
        "title": title,
        "desc": desc,
        "width": WIDTH,
        "height": height,
        "left": left,
        "right_edge": WIDTH - right,
        "baseline": top + plot_h,
        "ticks": ticks,
        "bars": bars,
        "labels": labels,
        "small_labels": count > 8,
        "legend": [(name, PALETTE[s % len(PALETTE)]) for s, (name, _v) in enumerate(series)],
    }


@register.inclusion_tag("reporting/charts/bars.html")
def bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    values: Sequence[int],
) -> dict:
    """Horizontal bars, one per label, the value written at the end of each bar."""
    label_w, value_w, top, row_h, bar_h = 250, 64, 8, 32, 22
    plot_w = WIDTH - label_w - value_w
    largest = max((_value(v) for v in values), default=0)
    bars = []
    for i, (label, value) in enumerate(zip(labels, values, strict=False)):
        value = _value(value)
        y = top + i * row_h
        width = plot_w * value / largest if largest else 0
        bars.append(Bar(label_w, y, round(width, 1), bar_h, value, label, "", PALETTE[0]))
    return {
        "chart_id": chart_id,
        "title": title,
        "desc": desc,
        "width": WIDTH,
        "height": top * 2 + max(len(bars), 1) * row_h,
        "label_x": label_w - 8,
        "text_dy": bar_h / 2 + 5,
        "bars": bars,
    }
