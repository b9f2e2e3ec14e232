"""Charts of a sweep: target attainment against staffing, with confidence bands.

One panel per target (share answered within 20 s, 60 s, …; share of visits on site within
45 min, …). The x axis is the swept staffing field (the first swept field that ends in
``operators`` or ``field_staff``; otherwise the first numeric one); every combination of the
other swept fields is one line, its band the confidence interval across replications. Drawn with
matplotlib's object interface (no pyplot, no display), as PNG and SVG.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure as Chart
from matplotlib.ticker import MaxNLocator

from reports.sweep.tables import PointSummary, attainment_keys


def x_path(paths: Sequence[str], summaries: Sequence[PointSummary]) -> str:
    """The swept field to put on the x axis."""
    for path in paths:
        if path.endswith(("operators", "field_staff")):
            return path
    for path in paths:
        values = [dict(s.point.settings)[path] for s in summaries]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            return path
    return paths[0]


def attainment_chart(summaries: Sequence[PointSummary], folder: Path,
                     stem: str = "attainment") -> list[Path]:
    """Draw the chart; the PNG and SVG files written (none if nothing was swept)."""
    keys = attainment_keys(summaries)
    if not summaries or not summaries[0].point.settings or not keys:
        return []
    paths = [path for path, _ in summaries[0].point.settings]
    x = x_path(paths, summaries)
    columns = min(3, len(keys))
    rows = math.ceil(len(keys) / columns)
    chart = Chart(figsize=(5.0 * columns, 4.0 * rows), layout="constrained")
    panels = chart.subplots(rows, columns, squeeze=False).flatten()
    for axes, key in zip(panels, keys, strict=False):
        draw_panel(axes, summaries, key, x, [p for p in paths if p != x])
    for axes in panels[len(keys):]:
        axes.set_visible(False)
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / f"{stem}.png", folder / f"{stem}.svg"]
    chart.savefig(written[0], dpi=120)
    chart.savefig(written[1], metadata={"Date": None})
    return written


def draw_panel(axes: Any, summaries: Sequence[PointSummary], key: str, x: str,
               others: Sequence[str]) -> None:
    """One target: a line with its confidence band per combination of the other fields."""
    for label, series in group_series(summaries, others).items():
        xs = [dict(s.point.settings)[x] for s in series]
        positions = xs if all(isinstance(v, int | float) for v in xs) else list(range(len(xs)))
        figures = [s.figures[key] for s in series if key in s.figures]
        if len(figures) != len(series):
            continue
        mean = [100 * f.mean for f in figures]
        low = [100 * max(0.0, f.low) if f.low == f.low else 100 * f.mean for f in figures]
        high = [100 * min(1.0, f.high) if f.high == f.high else 100 * f.mean for f in figures]
        axes.plot(positions, mean, marker="o", label=label or None)
        axes.fill_between(positions, low, high, alpha=0.2)
        if positions is not xs:
            axes.set_xticks(positions, [str(v) for v in xs])
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(title_of(key))
    axes.set_xlabel(x)
    axes.set_ylabel("% within target (95 % CI band)")
    axes.grid(True, alpha=0.3)
    if others:
        axes.legend(fontsize="small")


def group_series(summaries: Sequence[PointSummary],
                 others: Sequence[str]) -> dict[str, list[PointSummary]]:
    """Points grouped by the values of the fields not on the x axis."""
    series: dict[str, list[PointSummary]] = {}
    for summary in summaries:
        settings = dict(summary.point.settings)
        label = ", ".join(f"{'.'.join(p.split('.')[-2:])}={settings[p]}" for p in others)
        series.setdefault(label, []).append(summary)
    return series


def title_of(key: str) -> str:
    """``answer.within_1min`` → ``answered within 1min``."""
    kind, _, within = key.partition(".within_")
    return f"{'answered' if kind == 'answer' else 'visits on site'} within {within}"
