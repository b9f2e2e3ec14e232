"""The files a run writes: ``metrics.json``, the event log, the resolved scenario.

``metrics.json`` holds nothing that varies between runs of the same scenario and seed (no wall
times, no dates), so the same seed gives a byte-identical file.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from sim.analysis.aggregate import Figure
from sim.model.records import TABLE_FIELDS, RunLog
from sim.scenario.region import Region
from sim.scenario.schema import Scenario

METRICS_SCHEMA = "vtsim.metrics/1"
LogFormat = Literal["parquet", "csv"]


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def metrics_document(
    scenario: Scenario | Region,
    source: Path,
    seed: int,
    version: str,
    figures: dict[str, Figure],
    warnings: Sequence[str],
    confidence: float = 0.95,
) -> dict[str, Any]:
    """The content of ``metrics.json`` (see docs/metrics.md)."""
    return {
        "schema": METRICS_SCHEMA,
        "vtsim_version": version,
        "scenario": {"name": scenario.name, "file": source.name, "sha256": file_digest(source)},
        "seed": seed,
        "replications": len(next(iter(figures.values())).values) if figures else 0,
        "confidence": confidence,
        "window": {"warmup_s": scenario.warmup, "horizon_s": scenario.horizon},
        "warnings": list(warnings),
        "metrics": {key: figure_document(f) for key, f in figures.items()},
    }


def figure_document(figure: Figure) -> dict[str, Any]:
    """One figure: mean, CI half-width, n, unit and every replication's value."""
    return {
        "mean": _number(figure.mean),
        "ci_half_width": _number(figure.ci_half_width),
        "n": figure.n,
        "unit": figure.unit,
        "per_replication": [_number(v) for v in figure.values],
    }


def _number(value: float) -> float | None:
    """JSON has no NaN: undefined figures are written as null."""
    return None if math.isnan(value) else round(value, 9)


def write_metrics(path: Path, document: dict[str, Any]) -> None:
    """Write ``metrics.json`` deterministically (sorted nothing, fixed indentation)."""
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_event_log(directory: Path, logs: Sequence[RunLog], fmt: LogFormat) -> list[Path]:
    """One file per record table (messages, incidents, visits, staffing, telemetry)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for table, fields in TABLE_FIELDS.items():
        columns: dict[str, list[Any]] = {name: [] for name in fields}
        for log in logs:
            for name, values in log.tables()[table].columns().items():
                columns[name].extend(values)
        path = directory / f"{table}.{fmt}"
        if fmt == "parquet":
            write_parquet(path, columns)
        else:
            write_csv(path, columns)
        written.append(path)
    return written


def write_parquet(path: Path, columns: dict[str, list[Any]]) -> None:
    """One record table as a Parquet file (columns named after the record's fields)."""
    pq.write_table(pa.table(columns), path)


def write_csv(path: Path, columns: dict[str, list[Any]]) -> None:
    """One record table as CSV with a header (NaN written as an empty cell)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in zip(*columns.values(), strict=True):
            writer.writerow(["" if isinstance(v, float) and math.isnan(v) else v for v in row])


def write_resolved_scenario(path: Path, scenario: Scenario, source: Path, seed: int,
                            replications: int, version: str) -> None:
    """The scenario with every default filled in and the run's seed: rerunning it gives the same
    ``metrics.json``."""
    data = scenario.model_dump(mode="json", by_alias=True)
    data["seed"] = seed
    data["replications"] = replications
    header = (
        f"# Resolved scenario written by vtsim {version}\n"
        f"# from {source} (sha256 {file_digest(source)}), seed {seed}.\n"
        "# Every default is filled in; durations are in seconds.\n"
    )
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    path.write_text(header + body, encoding="utf-8")
