"""Follow-up after go-live (*gevinstoppfølging*): the plan of a comparison against the figures
measured month by month.

The plan of a month comes from the comparison's ``metrics.json``: each annual figure of the
month's year (the last simulated year for later months) times the month's share of the year
(days / 365). Visits and hours with the technology are the baseline less the saved visits and
hours reached in that year of the period (:func:`effect_share`). Realised savings are the
baseline less what was measured; cumulative figures add up the months in which the figure was
measured, planned and realised alike, so the two stay comparable. See docs/benefit.md,
"Follow-up after go-live".
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Sequence
from typing import Any

from reports.benefit.measured import MeasuredError, MeasuredMonth, measured_columns
from reports.benefit.tables import Cell, Ref, Table
from reports.i18n import format_number

YEAR_DAYS = 365.0
ANSWER_KEY = "quality.answer.within_1min"
SAVING_MEASURES = ("visits", "hours")
PHRASES: dict[str, dict[str, str]] = {
    "nb": {
        "t_visits": "Gevinstoppfølging: hjemmebesøk per måned (plan mot målt)",
        "t_hours": "Gevinstoppfølging: personaltimer per måned (plan mot målt)",
        "t_centre": "Gevinstoppfølging: alarmer, svartid og kostnader per måned",
        "month": "Måned", "planned": "Plan", "measured": "Målt",
        "saved_planned": "Spart, plan", "saved_realised": "Spart, realisert",
        "cum_planned": "Spart akkumulert, plan", "cum_realised": "Spart akkumulert, realisert",
        "alarms_planned": "Alarmer, plan", "alarms_measured": "Alarmer, målt",
        "share_planned": "Besvart innen 60 s, plan", "share_measured": "Besvart innen 60 s, målt",
        "costs_planned": "Kostnader, plan (kr)", "costs_measured": "Kostnader, målt (kr)",
        "costs_cum_planned": "Kostnader akkumulert, plan (kr)",
        "costs_cum_measured": "Kostnader akkumulert, målt (kr)",
        "total": "Sum",
    },
    "en": {
        "t_visits": "Follow-up: home visits per month (plan against measured)",
        "t_hours": "Follow-up: staff hours per month (plan against measured)",
        "t_centre": "Follow-up: alarms, answer times and costs per month",
        "month": "Month", "planned": "Plan", "measured": "Measured",
        "saved_planned": "Saved, plan", "saved_realised": "Saved, realised",
        "cum_planned": "Saved cumulative, plan", "cum_realised": "Saved cumulative, realised",
        "alarms_planned": "Alarms, plan", "alarms_measured": "Alarms, measured",
        "share_planned": "Answered within 60 s, plan",
        "share_measured": "Answered within 60 s, measured",
        "costs_planned": "Costs, plan (NOK)", "costs_measured": "Costs, measured (NOK)",
        "costs_cum_planned": "Costs cumulative, plan (NOK)",
        "costs_cum_measured": "Costs cumulative, measured (NOK)",
        "total": "Total",
    },
}


def mean_of(document: dict[str, Any], year: str, key: str) -> float:
    """The mean of a figure in a year of the comparison (NaN where it is missing)."""
    figure = document["metrics"][year].get(key)
    value = None if figure is None else figure.get("mean")
    return math.nan if value is None else float(value)


def plan_year(document: dict[str, Any], month: MeasuredMonth, source: str) -> str:
    """The comparison year whose figures plan a month: its own, or the last simulated one."""
    years = [int(y) for y in document["years"]]
    if month.year < years[0]:
        raise MeasuredError(f"{source}, line {month.line}, column 'month': {month.label} is "
                            f"before the plan's first year {years[0]}")
    return str(max(y for y in years if y <= month.year))


def ramp_of(document: dict[str, Any], kind: str, month: MeasuredMonth) -> float:
    """Share of a technology's full effect planned in the month's year: the comparison's
    ``economics.ramp_up`` (one share per year of the analysis period, from its first year; 1
    after the list), else the full effect from the start."""
    economics = document.get("economics") or {}
    shares = (economics.get("ramp_up") or {}).get(kind) or []
    first = (economics.get("method") or {}).get("first_year") or int(document["years"][0])
    t = month.year - int(first)
    return float(shares[t]) if 0 <= t < len(shares) else 1.0


def planned_saving(document: dict[str, Any], year: str, measure: str,
                   month: MeasuredMonth) -> float:
    """The saving planned per year, each technology's share at its ramp-up; savings not
    attributed to a technology at full effect."""
    total = mean_of(document, year, f"{measure}.saved.per_year")
    by_device = {}
    for key in document["metrics"][year]:
        prefix, suffix = f"{measure}.saved.by_device.", (
            ".per_week" if measure == "visits" else ".per_year")
        if key.startswith(prefix) and key.endswith(suffix):
            kind = key[len(prefix):-len(suffix)]
            value = mean_of(document, year, key)
            by_device[kind] = value * YEAR_DAYS / 7 if measure == "visits" else value
    attributed = sum(v for v in by_device.values() if not math.isnan(v))
    ramped = sum(v * ramp_of(document, kind, month) for kind, v in by_device.items()
                 if not math.isnan(v))
    return total - attributed + ramped


def month_plan(document: dict[str, Any], month: MeasuredMonth, source: str) -> dict[str, Any]:
    """The planned figures of one calendar month."""
    year = plan_year(document, month, source)
    days = calendar.monthrange(month.year, month.month)[1]
    part = days / YEAR_DAYS
    plan: dict[str, Any] = {"month": month.label, "plan_year": int(year), "days": days}
    for measure in SAVING_MEASURES:
        baseline = mean_of(document, year, f"{measure}.baseline.per_year") * part
        full = mean_of(document, year, f"{measure}.saved.per_year") * part
        saved = planned_saving(document, year, measure, month) * part
        plan[measure] = {"baseline": baseline, "planned": baseline - saved,
                         "saved_planned": saved,
                         "effect_share": saved / full if full else math.nan}
    alarms = mean_of(document, year, "alarms.per_year") * part
    plan["alarms"] = {"planned": alarms}
    answered_share = mean_of(document, year, ANSWER_KEY)
    plan["answered_60s"] = {"planned": alarms * answered_share, "share_planned": answered_share}
    plan["costs"] = {"planned": mean_of(document, year, "nok.costs.running.per_year") * part}
    return plan


def follow_up(document: dict[str, Any], months: Sequence[MeasuredMonth],
              source: str) -> dict[str, Any]:
    """Planned against realised, month by month and cumulative (the ``follow_up`` section)."""
    rows = []
    totals: dict[str, dict[str, float]] = {}
    for month in months:
        row = month_plan(document, month, source)
        for measure in ("visits", "hours"):
            add_saving(row[measure], month.value(measure), totals.setdefault(measure, {}))
        add_count(row["alarms"], month.alarms, totals.setdefault("alarms", {}))
        add_count(row["costs"], month.costs, totals.setdefault("costs", {}))
        add_answered(row["answered_60s"], month.answered_60s, month.alarms)
        rows.append(json_ready(row))
    return {"source": source, "measures": list(measured_columns(list(months))),
            "months": rows}


def add_saving(figures: dict[str, Any], measured: float | None,
               total: dict[str, float]) -> None:
    """Measured visits or hours, the saving realised, and both savings cumulative."""
    figures["measured"] = measured
    if measured is None:
        figures.update(saved_realised=None, cumulative_saved_planned=None,
                       cumulative_saved_realised=None)
        return
    figures["saved_realised"] = figures["baseline"] - measured
    total["planned"] = total.get("planned", 0.0) + figures["saved_planned"]
    total["realised"] = total.get("realised", 0.0) + figures["saved_realised"]
    figures["cumulative_saved_planned"] = total["planned"]
    figures["cumulative_saved_realised"] = total["realised"]


def add_count(figures: dict[str, Any], measured: float | None, total: dict[str, float]) -> None:
    """A measured count or amount beside the plan, and both cumulative."""
    figures["measured"] = measured
    if measured is None:
        figures.update(cumulative_planned=None, cumulative_measured=None)
        return
    total["planned"] = total.get("planned", 0.0) + figures["planned"]
    total["measured"] = total.get("measured", 0.0) + measured
    figures["cumulative_planned"] = total["planned"]
    figures["cumulative_measured"] = total["measured"]


def add_answered(figures: dict[str, Any], answered: float | None,
                 alarms: float | None) -> None:
    """Alarms answered within 60 s, measured, and their share of the alarms."""
    figures["measured"] = answered
    figures["share_measured"] = (answered / alarms if answered is not None and alarms
                                 else None)


def json_ready(value: Any) -> Any:
    """NaN (a figure the comparison does not have) as null, recursively."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def follow_up_tables(section: dict[str, Any], lang: str) -> list[Table]:
    """The follow-up tables of the report: visits, hours, and the centre's figures."""
    words = PHRASES[lang]
    tables = [saving_table(section, measure, words, lang) for measure in SAVING_MEASURES
              if measure in section["measures"]]
    if {"alarms", "answered_60s", "costs"} & set(section["measures"]):
        tables.append(centre_table(section, words, lang))
    return tables


def saving_table(section: dict[str, Any], measure: str, words: dict[str, str],
                 lang: str) -> Table:
    """Planned and measured visits or hours, saved and saved cumulative, per month."""
    fields = ("planned", "measured", "saved_planned", "saved_realised",
              "cumulative_saved_planned", "cumulative_saved_realised")
    unit = "h" if measure == "hours" else "count"
    rows = []
    for i, month in enumerate(section["months"]):
        rows.append((Cell(month["month"]), *(
            number_cell(month[measure][name], lang, ("follow_up", "months", i, measure, name),
                        unit) for name in fields)))
    columns = (words["month"], words["planned"], words["measured"], words["saved_planned"],
               words["saved_realised"], words["cum_planned"], words["cum_realised"])
    return Table(f"follow_up_{measure}", words[f"t_{measure}"], columns, tuple(rows))


CENTRE_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("alarms", "planned", "count"), ("alarms", "measured", "count"),
    ("answered_60s", "share_planned", "share"), ("answered_60s", "share_measured", "share"),
    ("costs", "planned", "NOK"), ("costs", "measured", "NOK"),
    ("costs", "cumulative_planned", "NOK"), ("costs", "cumulative_measured", "NOK"),
)


def centre_table(section: dict[str, Any], words: dict[str, str], lang: str) -> Table:
    """Alarms, the share answered within 60 s and the running costs, per month."""
    rows = []
    for i, month in enumerate(section["months"]):
        rows.append((Cell(month["month"]), *(
            number_cell(month[measure][name], lang, ("follow_up", "months", i, measure, name),
                        unit) for measure, name, unit in CENTRE_FIELDS)))
    columns = (words["month"], words["alarms_planned"], words["alarms_measured"],
               words["share_planned"], words["share_measured"], words["costs_planned"],
               words["costs_measured"], words["costs_cum_planned"],
               words["costs_cum_measured"])
    return Table("follow_up_centre", words["t_centre"], columns, tuple(rows))


def number_cell(value: float | None, lang: str, ref: Ref, unit: str) -> Cell:
    """A figure of the follow-up (whole numbers; shares in per cent), or a dash when not
    measured; its ``ref`` is its place in the report's document."""
    if value is None:
        return Cell("–")
    shown = (f"{format_number(100 * value, lang, 1)} %" if unit == "share"
             else format_number(value, lang, 0))
    return Cell(shown, ref, value, unit)
