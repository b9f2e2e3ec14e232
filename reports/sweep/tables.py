"""A sweep's results per point: target attainment and key figures with confidence intervals.

Written as ``points.csv`` and ``points.parquet`` (one row per point) next to the raw
``replications.jsonl``, so that every figure can be redone from the replication values.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.analysis.aggregate import Figure, aggregate
from sim.analysis.sweep import Finished, Point

KEY_METRICS = (
    "incidents.per_day",
    "answer.mean_s",
    "answer.p90_s",
    "operators.utilisation.all",
    "visits.per_day",
    "visits.response_mean_s",
)
"""Figures shown for every point beside the target attainment."""

_ATTAINMENT = re.compile(r"^(answer|visits)\.within_[^.]+$")


@dataclass(frozen=True, slots=True)
class PointSummary:
    """One point's figures across its replications."""

    point: Point
    figures: dict[str, Figure]

    @property
    def replications(self) -> int:
        """Replications behind the figures."""
        return len(next(iter(self.figures.values())).values) if self.figures else 0


def summarise(points: Sequence[Point], finished: Sequence[Finished],
              confidence: float = 0.95) -> list[PointSummary]:
    """Aggregate the finished replications of every point (points without any are left out)."""
    by_point: dict[int, list[Finished]] = {}
    for result in finished:
        by_point.setdefault(result.point, []).append(result)
    summaries = []
    for point in points:
        runs = sorted(by_point.get(point.index, []), key=lambda f: f.replication)
        if runs:
            figures = aggregate([r.metrics for r in runs], confidence)
            summaries.append(PointSummary(point, figures))
    return summaries


def attainment_keys(summaries: Sequence[PointSummary]) -> list[str]:
    """The whole-day target metrics (``answer.within_1min``, ``visits.within_45min``)."""
    keys: dict[str, None] = {}
    for summary in summaries:
        keys.update(dict.fromkeys(k for k in summary.figures if _ATTAINMENT.match(k)))
    return list(keys)


def table_rows(summaries: Sequence[PointSummary]) -> list[dict[str, Any]]:
    """One flat row per point: settings, replications, attainment (mean, low, high) and the
    key figures (mean and CI half-width)."""
    attainment = attainment_keys(summaries)
    rows = []
    for summary in summaries:
        row: dict[str, Any] = {"point": summary.point.index}
        row.update({path: plain(value) for path, value in summary.point.settings})
        row["replications"] = summary.replications
        for key in attainment:
            figure = summary.figures.get(key)
            row[f"{key}.mean"] = figure.mean if figure else math.nan
            row[f"{key}.low"] = figure.low if figure else math.nan
            row[f"{key}.high"] = figure.high if figure else math.nan
        for key in KEY_METRICS:
            figure = summary.figures.get(key)
            row[f"{key}.mean"] = figure.mean if figure else math.nan
            row[f"{key}.ci_half_width"] = figure.ci_half_width if figure else math.nan
        rows.append(row)
    return rows


def plain(value: Any) -> Any:
    """A setting as a table cell: numbers and text as they are, anything else as text."""
    return value if isinstance(value, int | float | str) and not isinstance(value, bool) \
        else str(value)


def write_tables(rows: Sequence[dict[str, Any]], folder: Path) -> list[Path]:
    """``points.csv`` and ``points.parquet`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path = folder / "points.csv", folder / "points.parquet"
    columns = list(rows[0]) if rows else ["point"]
    with csv_path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    pq.write_table(pa.Table.from_pylist(list(rows)), parquet_path)
    return [csv_path, parquet_path]
