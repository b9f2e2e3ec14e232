"""The files ``vtsim compare`` writes: ``metrics.json`` of the gains and a long table of every
replication's values for analysts (``data/replications.csv``).

``metrics.json`` holds nothing that varies between runs of the same scenario and seed.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from reports.outputs import figure_document, file_digest
from sim.analysis.aggregate import Figure, aggregate, confidence_interval, key_pattern
from sim.benefit.appraisal import Appraisal, appraise, sensitivity_npvs
from sim.benefit.comparison import Comparison, sensitivity_variants
from sim.benefit.economics import LINES, NET_LINES
from sim.benefit.gains import BENEFIT_METRICS, require_benefit
from sim.benefit.staffing import answer_target, judge_year, shifts_of
from sim.scenario.benefit import Benefit
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
    metrics = {year: aggregate_benefit(comparison.per_year[year], confidence)
               for year in comparison.years}
    means = {year: {k: f.mean for k, f in figures.items()} for year, figures in metrics.items()}
    appraisal = appraise(scenario, comparison.per_year, means)
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
        "economics": {**economics_document(appraisal, benefit, metrics, confidence),
                      "sensitivity": sensitivity_document(comparison, str(source))},
        "staffing": staffing_document(comparison, confidence),
        **({"psa": comparison.psa} if comparison.psa is not None else {}),
        "metrics": {
            str(year): {key: figure_document(f) for key, f in figures.items()}
            for year, figures in metrics.items()
        },
    }


def economics_document(appraisal: Appraisal, benefit: Benefit,
                       metrics: dict[int, dict[str, Figure]],
                       confidence: float) -> dict[str, Any]:
    """The ``economics`` section: method, cash-flow table, net present values, annualised
    values, payback, break-even and the non-priced effects (docs/benefit-metrics.md)."""
    a = appraisal.assumptions
    return {
        "method": {
            "first_year": a.first_year, "period_years": a.period_years,
            "price_year": a.price_year, "discount_rate": a.discount_rate,
            "tax_cost": a.tax_cost, "hourly_cost": a.hourly_cost,
            "operator_hourly_cost": a.operator_hourly_cost, "rota_factor": a.rota_factor,
            "centre_share": a.centre_share, "hours_per_arsverk": a.hours_per_arsverk,
            "simulated_years": sorted(metrics),
        },
        "cash_share": {**a.cash_share, "default": a.cash_share_default},
        "cash_items": dict(a.cash_items),
        "ramp_up": {kind: list(shares) for kind, shares in a.ramp_up.items()},
        "one_off": [{"name": item.name, "amount": item.amount, "year": item.year,
                     "labels": dict(benefit.economics.one_off[item.name].labels)
                     if item.name in benefit.economics.one_off else {}}
                    for item in a.one_off],
        "cash_flows": {
            "years": list(appraisal.table.years),
            "units": {name: unit for name, (unit, _meaning) in LINES.items()},
            "lines": {name: [_round(v) for v in values]
                      for name, values in appraisal.table.lines.items()},
        },
        "npv": {line: figure_document(_figure(f"npv.{line}", appraisal.npv[line], confidence))
                for line in NET_LINES},
        "annualised": {line: figure_document(_figure(f"annualised.{line}",
                                                     appraisal.annualised[line], confidence,
                                                     "NOK/yr"))
                       for line in NET_LINES},
        "payback_years": dict(appraisal.payback),
        "break_even": [
            {"name": b.name, "unit": b.unit, "value": b.value, "line": b.line,
             "break_even": None if b.break_even is None else _round(b.break_even),
             "reachable": b.reachable, "realistic": b.realistic,
             "description": b.description}
            for b in appraisal.break_even
        ],
        "non_priced": non_priced(benefit, metrics),
    }


def sensitivity_document(comparison: Comparison, file: str) -> list[dict[str, Any]]:
    """Each sensitivity item's net present values at its low and high value and its break-even
    (linear between them); see docs/benefit-metrics.md."""
    first = comparison.scenarios[comparison.years[0]]
    variants = {v.key: v.scenario for v in sensitivity_variants(first, file)}
    return [
        {"n": item.n, "path": item.path, "base": item.base, "low": item.low, "high": item.high,
         "npv": {line: {"low": _round(low), "high": _round(high)}
                 for line, (low, high) in item.npv.items()},
         "break_even": {line: None if v is None else _round(v)
                        for line, v in item.break_even.items()},
         "within_range": dict(item.within_range)}
        for item in sensitivity_npvs(first, variants, comparison.per_year,
                                     comparison.variant_inputs)
    ]


def staffing_document(comparison: Comparison, confidence: float) -> dict[str, Any]:
    """The ``staffing`` section: the answer target, and for every year the operators per shift,
    where they come from and whether each shift meets the target (lower confidence bound)."""
    first = comparison.scenarios[comparison.years[0]]
    target = answer_target(first)
    years = {}
    for year in comparison.years:
        scenario = comparison.scenarios[year]
        judged = judge_year(scenario, comparison.per_year[year], confidence)
        years[str(year)] = {
            "source": comparison.staffing_sources.get(year, "as written"),
            "shifts": shifts_of(scenario),
            "attainment": {j.shift: {"mean": _number_or_none(j.mean),
                                     "low": _number_or_none(j.low), "n": j.n,
                                     "met": j.met(target.share)} for j in judged},
            "met": all(j.met(target.share) for j in judged),
        }
    return {"target": target.describe(), "share": target.share, "within_s": target.within_s,
            "confidence": confidence, "years": years}


def _figure(key: str, values: list[float], confidence: float, unit: str = "NOK") -> Figure:
    mean, half = confidence_interval(values, confidence)
    return Figure(key, unit, mean, half, tuple(values))


def _round(value: float) -> float:
    return round(value, 6)


SIGNS = {-4: "----", -3: "---", -2: "--", -1: "-", 0: "0", 1: "+", 2: "++", 3: "+++",
         4: "++++"}
"""DFØ's plus/minus scale (*pluss-minusmetoden*)."""


def non_priced(benefit: Benefit, metrics: dict[int, dict[str, Figure]]) -> list[dict[str, Any]]:
    """The effects not priced, each with its plus/minus assessment and the first year's
    measured evidence (shown beside it, never turned into money)."""
    first = metrics[min(metrics)]
    out = []
    for name, effect in benefit.economics.non_priced.items():
        evidence = [{"key": key, "mean": _number_or_none(first[key].mean),
                     "ci_half_width": _number_or_none(first[key].ci_half_width),
                     "unit": first[key].unit}
                    for key in effect.evidence if key in first]
        out.append({"name": name, "score": effect.score, "signs": SIGNS[effect.score],
                    "affects": effect.affects, "labels": dict(effect.labels),
                    "reasons": dict(effect.reasons), "evidence": evidence})
    return out


def _number_or_none(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 9)


def assumptions(scenario: Scenario) -> list[dict[str, Any]]:
    """Every benefit and growth parameter with its value and source."""
    benefit = require_benefit(scenario)
    data = {"benefit": benefit.model_dump(mode="json", by_alias=True,
                                          exclude={"sensitivity": True, "sources": True,
                                                   "economics": {"non_priced", "target"}}),
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


def source_of(sources: Mapping[str, str | Mapping[Any, str]], path: str
              ) -> str | dict[str, str]:
    """The source given for the path or its nearest parent (text, or text by language), else
    ``assumption``."""
    relative = path.removeprefix("benefit.")
    parts = relative.split(".")
    for end in range(len(parts), 0, -1):
        found = sources.get(".".join(parts[:end]))
        if found:
            return found if isinstance(found, str) else dict(found)
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
