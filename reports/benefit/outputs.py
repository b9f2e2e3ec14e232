"""The files ``vtsim compare`` writes: ``metrics.json`` of the gains and a long table of every
replication's values for analysts (``data/replications.csv``).

``metrics.json`` holds nothing that varies between runs of the same scenario and seed.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from reports.outputs import figure_document, file_digest
from sim.analysis.aggregate import Figure, aggregate, key_pattern
from sim.benefit.comparison import Comparison
from sim.benefit.gains import BENEFIT_METRICS, require_benefit
from sim.scenario.schema import Scenario

BENEFIT_SCHEMA = "vtsim.benefit/1"
ASSUMPTION = "assumption"


def aggregate_benefit(per_replication: list[dict[str, float]],
                      confidence: float = 0.95) -> dict[str, Figure]:
    """Mean and confidence interval of every key, in first-seen order."""
    return aggregate(per_replication, confidence, unit=benefit_unit)


def benefit_unit(key: str) -> str:
    """The documented unit of a benefit key."""
    for pattern, unit in _patterns():
        if pattern.fullmatch(key):
            return unit
    return ""


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((key_pattern(spec.key), spec.unit) for spec in BENEFIT_METRICS)


def benefit_document(comparison: Comparison, scenario: Scenario, source: Path, seed: int,
                     version: str, confidence: float = 0.95) -> dict[str, Any]:
    """The content of the comparison's ``metrics.json`` (see docs/benefit-metrics.md)."""
    benefit = require_benefit(scenario)
    first = comparison.scenarios[comparison.years[0]]
    return {
        "schema": BENEFIT_SCHEMA,
        "vtsim_version": version,
        "scenario": {"name": scenario.name, "file": source.name, "sha256": file_digest(source)},
        "seed": seed,
        "replications": len(comparison.per_year[comparison.years[0]]),
        "confidence": confidence,
        "window": {"warmup_s": scenario.warmup, "horizon_s": scenario.horizon},
        "years": list(comparison.years),
        "targets": {"answer_within_s": list(first.targets.answer_within),
                    "visit_within_s": list(first.targets.visit_within)},
        "purposes": {name: dict(p.labels) for name, p in benefit.purposes.items()},
        "profiles": {u.name: {"count": u.count, "devices": list(u.devices)}
                     for u in scenario.users},
        "sensitivity": [
            {"n": n, "path": s.path, "low": s.low, "high": s.high, "labels": dict(s.labels)}
            for n, s in enumerate(benefit.sensitivity)
        ],
        "assumptions": assumptions(scenario),
        **({"psa": comparison.psa} if comparison.psa is not None else {}),
        "metrics": {
            str(year): {key: figure_document(f) for key, f in
                        aggregate_benefit(comparison.per_year[year], confidence).items()}
            for year in comparison.years
        },
    }


def assumptions(scenario: Scenario) -> list[dict[str, Any]]:
    """Every benefit and growth parameter with its value and source."""
    benefit = require_benefit(scenario)
    data = {"benefit": benefit.model_dump(mode="json", by_alias=True,
                                          exclude={"sensitivity", "sources"}),
            "growth": scenario.growth.model_dump(mode="json")}
    rows = []
    for path, value in flatten(data):
        if ".labels" in path:
            continue
        rows.append({"path": path, "value": value, "source": source_of(benefit.sources, path)})
    return rows


def flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(dotted path, value)`` of every leaf; a distribution (its parameters) and a list are
    one leaf each."""
    if isinstance(data, dict) and "kind" in data:
        yield prefix, data
    elif isinstance(data, dict) and data:
        for key, value in data.items():
            yield from flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list) or (data is not None and data != {}):
        yield prefix, data


def source_of(sources: dict[str, str], path: str) -> str:
    """The source given for the path or its nearest parent, else ``assumption``."""
    relative = path.removeprefix("benefit.")
    parts = relative.split(".")
    for end in range(len(parts), 0, -1):
        found = sources.get(".".join(parts[:end]))
        if found:
            return found
    return ASSUMPTION


def write_replications_csv(path: Path, comparison: Comparison) -> None:
    """Every replication's value of every key: year, key, replication, value."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["year", "key", "replication", "value"])
        for year in comparison.years:
            for index, figures in enumerate(comparison.per_year[year]):
                for key, value in figures.items():
                    writer.writerow([year, key, index, "" if math.isnan(value) else repr(value)])
