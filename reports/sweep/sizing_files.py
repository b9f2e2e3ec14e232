"""The files ``vtsim size --out DIR`` writes: ``sizing.json`` and ``sizing.csv``.

For every year sized: per shift and per zone the staffing found, the Erlang C estimate, the staff
hours and årsverk (with and without the rota factor) and each target's attainment with its
confidence interval; per hour of the day the operators on duty, the Erlang C need, the offered
load and the share answered within each answer target. See docs/sizing.md, "Output files".
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.i18n import reason_text
from reports.outputs import file_digest
from sim.analysis.aggregate import confidence_interval
from sim.analysis.erlang import incident_loads, servers_per_hour
from sim.analysis.sizing import Judgement, YearSizing
from sim.analysis.targets import Target
from sim.scenario.schema import Scenario
from sim.scenario.staffing import operators_on_duty

SIZING_SCHEMA = "vtsim.sizing/1"
FILES = ("sizing.json", "sizing.csv")
HOUR = 3600.0
YEAR_DAYS = 365.0
CSV_COLUMNS = ("year", "level", "name", "start", "end", "staff", "erlang_c", "offered_erlang",
               "staff_hours_per_year", "arsverk", "arsverk_with_rota", "target",
               "target_share", "attainment_mean", "attainment_low", "attainment_high", "n",
               "met")


class OutputExists(Exception):
    """An output file is already there and ``--force`` was not given."""


@dataclass(frozen=True, slots=True)
class StaffTerms:
    """How staffing becomes årsverk: hours in one årsverk and the rota factor."""

    hours_per_arsverk: float
    rota_factor: float
    source: str

    def arsverk(self, hours_per_year: float) -> float:
        """Årsverk of the hours on duty (before the rota factor)."""
        return hours_per_year / self.hours_per_arsverk


def check_writable(folder: Path, force: bool) -> None:
    """Refuse to overwrite earlier results unless forced (checked before the search runs)."""
    there = [folder / name for name in FILES if (folder / name).exists()]
    if there and not force:
        raise OutputExists(
            f"{', '.join(str(p) for p in there)} already exist; choose another --out folder or "
            "add --force to overwrite")


def write_sizing(folder: Path, document: dict[str, Any]) -> list[Path]:
    """Write ``sizing.json`` and ``sizing.csv``; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path, csv_path = (folder / name for name in FILES)
    json_path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n",
                         encoding="utf-8")
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in csv_rows(document):
            writer.writerow({k: plain(row.get(k)) for k in CSV_COLUMNS})
    return [json_path, csv_path]


def plain(value: Any) -> Any:
    """A CSV cell: empty for a missing value."""
    return "" if value is None else value


def sizing_document(results: Sequence[YearSizing], source: Path, targets: Sequence[Target],
                    seed: int, replications: int, confidence: float, terms: StaffTerms,
                    version: str) -> dict[str, Any]:
    """The content of ``sizing.json``."""
    return {
        "schema": SIZING_SCHEMA,
        "vtsim_version": version,
        "scenario": {"file": source.name, "sha256": file_digest(source)},
        "seed": seed,
        "replications": replications,
        "confidence": confidence,
        "targets": [target_document(t) for t in targets],
        "hours_per_arsverk": terms.hours_per_arsverk,
        "rota_factor": terms.rota_factor,
        "rota_factor_source": terms.source,
        "years": [year_document(r, confidence, terms) for r in results],
    }


def target_document(target: Target) -> dict[str, Any]:
    """A target as written and as numbers."""
    return {"target": target.describe(), "kind": target.kind, "share": target.share,
            "within_s": target.within_s}


def year_document(result: YearSizing, confidence: float, terms: StaffTerms) -> dict[str, Any]:
    """One year: its shifts, zones, hours and totals."""
    scenario = chosen_scenario(result)
    shifts = [shift_document(result, scenario, name, terms) for name in dimension_names(
        result, "shift")]
    zones = [zone_document(result, name, terms) for name in dimension_names(result, "zone")]
    hours = hour_documents(result, scenario, confidence, terms)
    operator_hours = sum(h["staff_hours_per_year"] for h in hours)
    field_hours = sum(z["staff_hours_per_year"] for z in zones)
    return {
        "year": result.year,
        "users": result.users,
        "incidents_per_day": result.incidents_per_day,
        "staffings_simulated": result.points_run,
        "shifts": shifts,
        "zones": zones,
        "hours": hours,
        "total": {
            "operator_hours_per_year": operator_hours,
            "operator_arsverk": terms.arsverk(operator_hours),
            "operator_arsverk_with_rota": terms.arsverk(operator_hours) * terms.rota_factor,
            "field_staff_hours_per_year": field_hours,
            "field_staff_arsverk": terms.arsverk(field_hours),
            "field_staff_arsverk_with_rota": terms.arsverk(field_hours) * terms.rota_factor,
        },
    }


def chosen_scenario(result: YearSizing) -> Scenario:
    """The year's scenario at the chosen staffing (always kept by :func:`size_year`)."""
    if result.scenario is None:
        raise ValueError(f"the sizing of {result.year} has no scenario to describe")
    return result.scenario


def dimension_names(result: YearSizing, kind: str) -> list[str]:
    """Shifts or zones sized, in scenario order."""
    return [d.name for d in result.dimensions if d.kind == kind]


def shift_document(result: YearSizing, scenario: Scenario, name: str,
                   terms: StaffTerms) -> dict[str, Any]:
    """One shift: operators found and estimated, hours, årsverk and attainment."""
    shift = next(s for s in scenario.centre.shifts if s.name == name)
    dim = next(d for d in result.dimensions if d.name == name)
    hours = result.staffing[name] * shift.length_s / HOUR * YEAR_DAYS
    return {
        "shift": name, "start": shift.start, "end": shift.end,
        "operators": result.staffing[name], "erlang_c": dim.analytic,
        "met": name not in result.unreachable,
        "staff_hours_per_year": hours, "arsverk": terms.arsverk(hours),
        "arsverk_with_rota": terms.arsverk(hours) * terms.rota_factor,
        "targets": [judgement_document(j, result.runs) for j in result.judgements_of(name)],
        "reason": reason_of(result, name),
    }


def reason_of(result: YearSizing, name: str) -> str:
    """Why the shift's or zone's staffing differs from Erlang C, in English (sizing.json)."""
    found = result.reasons.get(name)
    return "" if found is None else reason_text(found, "en")


def zone_document(result: YearSizing, name: str, terms: StaffTerms) -> dict[str, Any]:
    """One zone: field workers on every shift, hours, årsverk and attainment."""
    dim = next(d for d in result.dimensions if d.name == name)
    hours = result.staffing[name] * 24 * YEAR_DAYS
    return {
        "zone": name, "field_staff": result.staffing[name], "erlang_c": dim.analytic,
        "met": name not in result.unreachable,
        "staff_hours_per_year": hours, "arsverk": terms.arsverk(hours),
        "arsverk_with_rota": terms.arsverk(hours) * terms.rota_factor,
        "targets": [judgement_document(j, result.runs) for j in result.judgements_of(name)],
        "reason": reason_of(result, name),
    }


def judgement_document(judgement: Judgement, runs: Sequence[dict[str, float]]
                       ) -> dict[str, Any]:
    """A target of a shift or zone: mean share and its interval."""
    key = judgement.target.attainment_key(judgement.dimension)
    values = [r.get(key, math.nan) for r in runs]
    return {"target": judgement.target.describe(), "share": judgement.target.share,
            "mean": number(judgement.mean), "low": number(judgement.low),
            "high": number(2 * judgement.mean - judgement.low), "n": judgement.n,
            "met": judgement.met, "per_replication": [number(v) for v in values]}


def hour_documents(result: YearSizing, scenario: Scenario, confidence: float,
                   terms: StaffTerms) -> list[dict[str, Any]]:
    """Every hour of the day: operators on duty, Erlang C need, load and attainment."""
    answer = [t for d in result.dimensions if d.kind == "shift" for t in d.targets]
    unique = list(dict.fromkeys(answer))
    loads = incident_loads(scenario)
    need = [max(per_hour) for per_hour in zip(
        *(servers_per_hour(loads, t.within_s, t.share) for t in unique), strict=True)] \
        if unique else [None] * 24
    segments = operators_on_duty(scenario.centre.shifts)
    out = []
    for hour in range(24):
        on_duty = next(c for s, e, c in segments if s <= hour * HOUR < e)
        hours = on_duty * YEAR_DAYS
        out.append({
            "hour": hour, "start": f"{hour:02d}:00", "end": f"{(hour + 1) % 24:02d}:00",
            "operators": on_duty, "erlang_c": need[hour],
            "offered_erlang": loads[hour].erlang,
            "staff_hours_per_year": hours, "arsverk": terms.arsverk(hours),
            "arsverk_with_rota": terms.arsverk(hours) * terms.rota_factor,
            "targets": [hour_attainment(result.runs, t, hour, confidence) for t in unique],
        })
    return out


def hour_attainment(runs: Sequence[dict[str, float]], target: Target, hour: int,
                    confidence: float) -> dict[str, Any]:
    """Share answered within the target of the incidents arriving in one hour of the day."""
    key = f"attainment.{target.metric}.hour_{hour:02d}"
    values = [r.get(key, math.nan) for r in runs]
    mean, half = confidence_interval(values, confidence)
    low = mean - half
    return {"target": target.describe(), "share": target.share, "mean": number(mean),
            "low": number(low), "high": number(mean + half),
            "n": sum(1 for v in values if not math.isnan(v)),
            "met": None if math.isnan(low) else bool(low >= target.share),
            "per_replication": [number(v) for v in values]}


def number(value: float) -> float | None:
    """JSON has no NaN: an undefined figure is null."""
    return None if math.isnan(value) else value


def csv_rows(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One row per year, level (shift, hour, zone, total) and target."""
    for year in document["years"]:
        for shift in year["shifts"]:
            base = {"year": year["year"], "level": "shift", "name": shift["shift"],
                    "start": shift["start"], "end": shift["end"], "staff": shift["operators"],
                    "erlang_c": shift["erlang_c"]}
            yield from with_targets({**base, **staff_cells(shift)}, shift["targets"])
        for hour in year["hours"]:
            base = {"year": year["year"], "level": "hour", "name": f"{hour['hour']:02d}",
                    "start": hour["start"], "end": hour["end"], "staff": hour["operators"],
                    "erlang_c": hour["erlang_c"], "offered_erlang": hour["offered_erlang"]}
            yield from with_targets({**base, **staff_cells(hour)}, hour["targets"])
        for zone in year["zones"]:
            base = {"year": year["year"], "level": "zone", "name": zone["zone"],
                    "staff": zone["field_staff"], "erlang_c": zone["erlang_c"]}
            yield from with_targets({**base, **staff_cells(zone)}, zone["targets"])
        total = year["total"]
        yield {"year": year["year"], "level": "total", "name": "operators",
               "staff_hours_per_year": total["operator_hours_per_year"],
               "arsverk": total["operator_arsverk"],
               "arsverk_with_rota": total["operator_arsverk_with_rota"]}


def staff_cells(item: dict[str, Any]) -> dict[str, Any]:
    """Hours and årsverk of a shift, hour or zone."""
    return {k: item[k] for k in ("staff_hours_per_year", "arsverk", "arsverk_with_rota")}


def with_targets(base: dict[str, Any], targets: Sequence[dict[str, Any]]
                 ) -> Iterator[dict[str, Any]]:
    """The row once per target (once, without a target, if it has none)."""
    if not targets:
        yield base
    for t in targets:
        yield {**base, "target": t["target"], "target_share": t["share"],
               "attainment_mean": t["mean"], "attainment_low": t["low"],
               "attainment_high": t["high"], "n": t["n"], "met": t["met"]}
