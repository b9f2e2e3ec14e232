"""The tables of the benefit report, built from ``metrics.json`` only.

HTML, PDF and the spreadsheet render these same tables, and the charts plot cells of these
tables, so every format and every chart shows the same figures. A figure cell remembers where its
number lives in ``metrics.json`` (:attr:`Cell.ref`); tests resolve every such cell and compare.

Results of the simulation carry a 95 % confidence interval. Inputs (user and device counts, the
municipality's plan, prices) are never shown as results: they are in the assumptions table, and
the figures computed from them alone (costs) are in the cash-flow table without an interval.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from reports.benefit.assumptions import (
    assumption_rows,
    assumption_unit,
    join_words,
    show_value,
    unit_text,
)
from reports.i18n import format_seconds, format_value, label, text
from sim.scenario.durations import format_duration

PLUS_MINUS = "± "
Ref = tuple[str | int, ...]
"""Where a number lives in ``metrics.json``: keys (and list indexes) from the top."""


@dataclass(frozen=True, slots=True)
class Cell:
    """One table cell: plain text, or one number of ``metrics.json`` with its place."""

    text: str
    ref: Ref = ()
    value: float | None = None
    unit: str = ""

    @property
    def is_figure(self) -> bool:
        """Whether the cell shows a number of ``metrics.json``."""
        return bool(self.ref)

    @property
    def ref_text(self) -> str:
        """The place as JSON: ``["metrics", "2026", "visits.saved.per_week", "mean"]``."""
        return json.dumps(list(self.ref), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Table:
    """A titled table with a header row, and a note under it."""

    ident: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""


def resolve(document: dict[str, Any], ref: Ref) -> Any:
    """The value a reference points at."""
    found: Any = document
    for part in ref:
        found = found[part]
    return found


class Report:
    """Access to a comparison's ``metrics.json`` in one language."""

    def __init__(self, document: dict[str, Any], lang: str) -> None:
        self.doc = document
        self.lang = lang
        self.years = [str(y) for y in document["years"]]
        self.year = self.years[0]

    def t(self, key: str, **values: str) -> str:
        """A phrase in the report's language."""
        return text(self.lang, key, **values)

    @property
    def economics(self) -> dict[str, Any]:
        """The cost–benefit section (empty before the comparison had one)."""
        return dict(self.doc.get("economics") or {})

    def figure(self, key: str, year: str | None = None) -> dict[str, Any]:
        """The figure of a key in a year (the first year by default)."""
        return dict(self.doc["metrics"][year or self.year][key])

    def has(self, key: str, year: str | None = None) -> bool:
        """Whether the year has the key."""
        return key in self.doc["metrics"][year or self.year]

    def mean(self, key: str, year: str | None = None) -> Cell:
        """A cell with the mean of a figure."""
        return self.stat(("metrics", year or self.year, key), "mean")

    def ci(self, key: str, year: str | None = None) -> Cell:
        """A cell with the half-width of a figure's confidence interval."""
        return self.stat(("metrics", year or self.year, key), "ci_half_width")

    def stat(self, place: Ref, stat: str) -> Cell:
        """A cell with one statistic of a figure (mean or CI half-width) at ``place``."""
        fig = resolve(self.doc, place)
        return number_cell((*place, stat), fig[stat], fig["unit"], self.lang,
                           interval=stat == "ci_half_width")

    def purpose_label(self, purpose: str) -> str:
        """A purpose's name in the language (the scenario's label, or a known word)."""
        labels = self.doc["purposes"].get(purpose, {})
        return str(labels.get(self.lang) or label(self.lang, purpose))


def number_cell(ref: Ref, value: float | None, unit: str, lang: str,
                interval: bool = False) -> Cell:
    """A figure cell showing ``value`` by its unit (``± `` before an interval)."""
    shown = format_value(value, unit, lang)
    if interval and value is not None:
        shown = PLUS_MINUS + shown
    return Cell(shown, ref, value, unit)


def plain(value: str) -> Cell:
    """A text cell."""
    return Cell(value)


def build_tables(document: dict[str, Any], lang: str) -> list[Table]:
    """Every table of the report, in report order."""
    r = Report(document, lang)
    tables = [summary_table(r)]
    if r.economics:
        tables.extend([gains_table(r), cash_flow_table(r), break_even_table(r)])
        if r.economics.get("non_priced"):
            tables.append(non_priced_table(r))
    tables.extend([visits_table(r), devices_table(r), hours_table(r)])
    if r.has("home_service.recipients"):
        tables.append(home_service_table(r))
    tables.extend([quality_table(r), answer_time_table(r), years_table(r)])
    if document["sensitivity"]:
        tables.append(sensitivity_table(r))
    if r.economics.get("sensitivity"):
        tables.append(sensitivity_npv_table(r))
    if document.get("psa"):
        tables.extend([uncertainty_table(r), ranking_table(r)])
    if "follow_up" in document:
        from reports.benefit.follow_up import follow_up_tables  # imports this module

        tables.extend(follow_up_tables(document["follow_up"], lang))
    tables.extend([load_table(r), assumptions_table(r), run_table(r)])
    return tables


def table_by_id(tables: list[Table], ident: str) -> Table:
    """The table with this id."""
    return next(t for t in tables if t.ident == ident)


def figure_rows(r: Report, items: list[tuple[str, str]]) -> tuple[tuple[Cell, ...], ...]:
    """Rows of label, mean and CI for ``(phrase key, metric key)`` pairs present."""
    return tuple((plain(r.t(phrase)), r.mean(key), r.ci(key)) for phrase, key in items
                 if r.has(key))


def summary_table(r: Report) -> Table:
    """The results a council asks for first: the net present values, then what is freed."""
    rows: list[tuple[Cell, ...]] = []
    for line in ("net.cash", "net.with_capacity"):
        if line in r.economics.get("npv", {}):
            rows.append((plain(r.t(f"npv_{line}")),
                         r.stat(("economics", "npv", line), "mean"),
                         r.stat(("economics", "npv", line), "ci_half_width")))
    if "net.cash" in r.economics.get("annualised", {}):
        place: Ref = ("economics", "annualised", "net.cash")
        rows.append((plain(r.t("annualised")), r.stat(place, "mean"),
                     r.stat(place, "ci_half_width")))
    items = [("visits_saved_week", "visits.saved.per_week"),
             ("hours_saved_year", "hours.saved.per_year"),
             ("arsverk_freed", "arsverk.saved"), ("arsverk_freed_net", "arsverk.freed_net"),
             ("answered_60", "quality.answer.within_1min")]
    if not r.economics:
        items += [("avoided", "nok.avoided.per_year"), ("net", "nok.net.per_year")]
    rows.extend(figure_rows(r, items))
    return Table("summary", f"{r.t('t_summary')} {r.year}",
                 (r.t("indicator"), r.t("value"), r.t("ci")), tuple(rows))


def gains_table(r: Report) -> Table:
    """The three kinds of gain, kept apart, in the first year at full effect."""
    items = [("gain_cash_hours", "hours.freed.cash.per_year"),
             ("gain_cash_nok", "nok.avoided.per_year"),
             ("gain_capacity_hours", "hours.freed.capacity.per_year"),
             ("gain_capacity_arsverk", "arsverk.saved"),
             ("gain_capacity_value", "nok.capacity_value.per_year")]
    return Table("gains", f"{r.t('t_gains')} {r.year}",
                 (r.t("indicator"), r.t("value"), r.t("ci")), figure_rows(r, items),
                 r.t("gains_note"))


CASH_FLOW_LINES = ("costs.investment", "costs.residual_value", "costs.one_off", "costs.rent",
                   "costs.licences", "costs.centre_staff", "costs.total", "gains.cash.hours",
                   "gains.cash.items", "gains.cash", "budget.net", "tax_cost", "net.cash",
                   "capacity.hours", "capacity.value", "net.with_capacity",
                   "arsverk.freed_gross", "arsverk.centre", "arsverk.freed_net",
                   "discount_factor")
"""The lines of the cash-flow table, in the order DFØ's spreadsheet uses: costs, gains, net."""

UNIT_OF_LINE = {"NOK": "kNOK", "h": "h", "årsverk": "årsverk", "": "factor"}


def cash_flow_table(r: Report) -> Table:
    """The cash flow of every year of the analysis period (thousand kroner, fixed prices)."""
    flows = r.economics["cash_flows"]
    years = [str(y) for y in flows["years"]]
    rows = []
    for line in CASH_FLOW_LINES:
        if line not in flows["lines"]:
            continue
        unit = UNIT_OF_LINE.get(flows["units"].get(line, ""), "")
        cells = tuple(number_cell(("economics", "cash_flows", "lines", line, i), value, unit,
                                  r.lang)
                      for i, value in enumerate(flows["lines"][line]))
        rows.append((plain(r.t(f"cf_{line}")), *cells))
    method = r.economics["method"]
    note = r.t("cf_note", price_year=str(method["price_year"]),
               rate=format_value(method["discount_rate"], "share", r.lang),
               tax=format_value(method["tax_cost"], "share", r.lang))
    return Table("cash_flows", r.t("t_cash_flows"), (r.t("line"), *years), tuple(rows), note)


def break_even_verdict(item: dict[str, Any]) -> str:
    """``yes`` for a break-even that is possible and realistic, ``no_impossible`` for one the
    assumption cannot take (a share above 100 %), ``no_unrealistic`` for a cost more than
    three times or less than a third of today's (docs/benefit.md, "Break-even")."""
    if item["break_even"] is None or not item.get("reachable", True):
        return "no_impossible"
    return "yes" if item.get("realistic", True) else "no_unrealistic"


def break_even_table(r: Report) -> Table:
    """How large each lever must be for the net present value to be zero, and whether that
    value is possible at all (a share above 100 %, a negative price are not)."""
    rows = []
    for i, item in enumerate(r.economics.get("break_even", [])):
        unit = item["unit"]
        place: Ref = ("economics", "break_even", i)
        possible = break_even_verdict(item)
        rows.append((plain(r.t(f"lever_{item['name']}")), plain(r.t(f"npv_{item['line']}")),
                     number_cell((*place, "value"), item["value"], unit, r.lang),
                     number_cell((*place, "break_even"), item["break_even"], unit, r.lang),
                     plain(r.t(possible))))
    return Table("break_even", r.t("t_break_even"),
                 (r.t("parameter"), r.t("npv_of"), r.t("now"), r.t("break_even"),
                  r.t("possible")), tuple(rows), r.t("break_even_note"))


def non_priced_table(r: Report) -> Table:
    """The effects not priced, with DFØ's plus/minus assessment and the measured evidence."""
    rows = []
    for item in r.economics["non_priced"]:
        name = item["labels"].get(r.lang) or label(r.lang, item["name"])
        reason = item["reasons"].get(r.lang, "")
        evidence = "; ".join(
            f"{metric_phrase(r, e['key'])}: {format_value(e['mean'], e['unit'], r.lang)}"
            for e in item["evidence"])
        rows.append((plain(name), plain(label(r.lang, item["affects"])), plain(item["signs"]),
                     plain(reason), plain(evidence)))
    return Table("non_priced", r.t("t_non_priced"),
                 (r.t("effect"), r.t("affects"), r.t("assessment"), r.t("why"),
                  r.t("evidence")), tuple(rows), r.t("non_priced_note"))


def metric_phrase(r: Report, key: str) -> str:
    """A metric key named in words (the report's phrase for it, else a short form)."""
    for phrase, metric in METRIC_PHRASES:
        if metric == key:
            return r.t(phrase)
    if key.startswith("quality.answer.within_"):
        target = key.removeprefix("quality.answer.within_")
        return r.t("answer_within", t=target)
    return r.t("measured")


METRIC_PHRASES = (("missed_caught", "quality.missed_doses.caught.per_week"),
                  ("gps_found", "quality.gps.found.per_year"),
                  ("gps_time", "quality.gps.time_to_find_mean_min"),
                  ("search_time", "quality.search.baseline.time_to_find_mean_min"),
                  ("answer_mean", "quality.answer.mean_s"),
                  ("visit_mean", "quality.visits.response_mean_min"),
                  ("missed_visit", "quality.missed_doses.visit_share"),
                  ("visits_saved_week", "visits.saved.per_week"))


def arm_row(r: Report, name: str, prefix: str, suffix: str) -> tuple[Cell, ...]:
    """Baseline, technology, saved and the CI of saved for one row."""
    return (plain(name), r.mean(f"{prefix}.baseline.{suffix}"),
            r.mean(f"{prefix}.technology.{suffix}"), r.mean(f"{prefix}.saved.{suffix}"),
            r.ci(f"{prefix}.saved.{suffix}"))


def arm_columns(r: Report, first: str) -> tuple[str, ...]:
    """Header of a table comparing the arms."""
    return (r.t(first), r.t("baseline"), r.t("technology"), r.t("saved"), r.t("ci"))


def visits_table(r: Report) -> Table:
    """Visits per week in both arms and saved, by purpose."""
    rows = [arm_row(r, r.purpose_label(p), "visits", f"{p}.per_week")
            for p in (*r.doc["purposes"], "alarm", "search")]
    rows.append(arm_row(r, r.t("total"), "visits", "per_week"))
    return Table("visits", r.t("t_visits"), arm_columns(r, "indicator"), tuple(rows))


def devices_table(r: Report) -> Table:
    """Visits saved per week by device kind."""
    rows = [arm_row(r, label(r.lang, kind), "visits", f"by_device.{kind}.per_week")
            for kind in device_kinds(r)]
    return Table("devices", r.t("t_devices"), arm_columns(r, "indicator"), tuple(rows),
                 r.t("devices_note", devices=device_counts(r)))


def device_kinds(r: Report) -> list[str]:
    """Device kinds in use in the first year."""
    prefix = "devices."
    return [k.removeprefix(prefix) for k, f in r.doc["metrics"][r.year].items()
            if k.startswith(prefix) and (f["mean"] or 0) > 0]


def device_counts(r: Report) -> str:
    """``Trygghetsalarm 400, E-lås 185 og ...``: the fleet of the first year."""
    parts = [f"{label(r.lang, k)} "
             f"{format_value(r.figure(f'devices.{k}')['mean'], 'count', r.lang)}"
             for k in device_kinds(r)]
    return join_words(parts, r.lang)


def hours_table(r: Report) -> Table:
    """Staff hours per year by component in both arms and saved."""
    components = ("travel", "on_site", "key_handling", "alarm_answering", "search")
    rows = [arm_row(r, r.t(c), "hours", f"{c}.per_year") for c in components]
    rows.append(arm_row(r, r.t("total"), "hours", "per_year"))
    rows.append((plain(r.t("arsverk")), r.mean("arsverk.baseline"),
                 r.mean("arsverk.technology"), r.mean("arsverk.saved"), r.ci("arsverk.saved")))
    return Table("hours", r.t("t_hours"), arm_columns(r, "indicator"), tuple(rows))


def home_service_table(r: Report) -> Table:
    """The share of the municipality's whole home service the modelled users account for."""
    items = [("hs_recipients", "home_service.recipients"),
             ("hs_modelled_users", "home_service.modelled_users"),
             ("hs_share_users", "home_service.share.users"),
             ("hs_arsverk", "home_service.arsverk"),
             ("hs_hours", "home_service.hours.per_year"),
             ("hs_baseline_hours", "hours.baseline.per_year"),
             ("hs_share_hours", "home_service.share.hours"),
             ("hs_ratio", "home_service.hours_per_user_ratio"),
             ("hs_share_visits", "home_service.share.visits"),
             ("hs_share_direct", "home_service.share.direct_hours")]
    return Table("home_service", f"{r.t('t_home_service')} {r.year}",
                 (r.t("indicator"), r.t("value"), r.t("ci")), figure_rows(r, items))


def quality_table(r: Report) -> Table:
    """Answer and visit times against target, missed doses, people found."""
    rows: list[tuple[Cell, ...]] = list(figure_rows(r, [("answer_mean", "quality.answer.mean_s")]))
    for target in r.doc["targets"]["answer_within_s"]:
        key = f"quality.answer.within_{format_duration(target)}"
        rows.append((plain(r.t("answer_within", t=format_seconds(target, r.lang))), r.mean(key),
                     r.ci(key)))
    rows.extend(figure_rows(r, [("visit_mean", "quality.visits.response_mean_min")]))
    for target in r.doc["targets"]["visit_within_s"]:
        key = f"quality.visits.within_{format_duration(target)}"
        rows.append((plain(r.t("visit_within", t=format_seconds(target, r.lang))), r.mean(key),
                     r.ci(key)))
    items = [("missed_caught", "quality.missed_doses.caught.per_week"),
             ("missed_answer", "quality.missed_doses.answer_mean_s"),
             ("missed_visit", "quality.missed_doses.visit_share"),
             ("gps_found", "quality.gps.found.per_year"),
             ("gps_time", "quality.gps.time_to_find_mean_min"),
             ("search_count", "quality.search.baseline.per_year"),
             ("search_time", "quality.search.baseline.time_to_find_mean_min")]
    rows.extend(figure_rows(r, items))
    return Table("quality", r.t("t_quality"), (r.t("indicator"), r.t("value"), r.t("ci")),
                 tuple(rows), r.t("note_baseline"))


ANSWER_BIN_NAMES = ("0_10s", "10_20s", "20_30s", "30_45s", "45_60s", "60_90s", "90_120s",
                    "120_180s", "180s_up")


def answer_bins(r: Report) -> list[str]:
    """The answer-time bins present, in order."""
    return [b for b in ANSWER_BIN_NAMES if r.has(f"answer.hist.{b}")]


def bin_label(name: str, lang: str) -> str:
    """``0–10 s`` or ``over 180 s``."""
    if name.endswith("_up"):
        return f"over {name.removesuffix('s_up')}\u00a0s"
    low, high = name.removesuffix("s").split("_")
    return f"{low}–{high}\u00a0s"


def answer_time_table(r: Report) -> Table:
    """Share of alarms by answer time (the answer-time chart)."""
    rows = tuple((plain(bin_label(b, r.lang)), r.mean(f"answer.hist.{b}"),
                  r.ci(f"answer.hist.{b}")) for b in answer_bins(r))
    return Table("answer_time", r.t("t_answer_time"),
                 (r.t("answer_bin"), r.t("share_of_alarms"), r.t("ci")), rows)


def load_table(r: Report) -> Table:
    """Operators busy and on duty per hour of the day (the load chart)."""
    rows = tuple((plain(f"{h:02d}:00"), r.mean(f"load.hour_{h:02d}"),
                  r.ci(f"load.hour_{h:02d}"), r.mean(f"staffing.hour_{h:02d}"))
                 for h in range(24) if r.has(f"load.hour_{h:02d}"))
    return Table("load", r.t("t_load"),
                 (r.t("hour"), r.t("c_busy"), r.t("ci"), r.t("c_on_duty")), rows)


def years_table(r: Report) -> Table:
    """Simulated gains and the staff needed in each simulated year of the plan."""
    items = [("visits_saved_week", "visits.saved.per_week"),
             ("hours_saved_year", "hours.saved.per_year"),
             ("arsverk_freed", "arsverk.saved"), ("arsverk_freed_net", "arsverk.freed_net"),
             ("avoided", "nok.avoided.per_year"), ("net", "nok.net.per_year"),
             ("answered_60", "quality.answer.within_1min"),
             ("operator_arsverk", "staff.centre.operator_arsverk"),
             ("with_tech_arsverk", "staff.home_care.with_technology_arsverk")]
    rows = tuple((plain(r.t(phrase)), *(r.mean(key, y) for y in r.years))
                 for phrase, key in items if r.has(key)) + staffing_rows(r)
    return Table("years", r.t("t_years"), (r.t("indicator"), *r.years), rows, r.t("years_note"))


def staffing_rows(r: Report) -> tuple[tuple[Cell, ...], ...]:
    """Operators per shift in each year, and whether every shift meets the answer target."""
    staffing = r.doc.get("staffing")
    if not staffing or not all(y in staffing["years"] for y in r.years):
        return ()
    years = [staffing["years"][y] for y in r.years]
    names = " / ".join(label(r.lang, f"shift_{name}").removeprefix("shift_")
                       for name in years[0]["shifts"])
    target = {"share": format_value(staffing["share"], "share", r.lang),
              "within": format_seconds(staffing["within_s"], r.lang)}
    return ((plain(r.t("staffing_operators", shifts=names)),
             *(plain(" / ".join(str(n) for n in y["shifts"].values())) for y in years)),
            (plain(r.t("staffing_met", **target)),
             *(plain(r.t("yes" if y["met"] else "no")) for y in years)))


def sensitivity_table(r: Report) -> Table:
    """The result with each assumption at its low and high value, the rest unchanged."""
    base_key = "nok.net_with_capacity.per_year" if r.has(
        "nok.net_with_capacity.per_year") else "nok.net.per_year"
    rows = [(plain(r.t("base_case")), plain(""), plain(""), r.mean(base_key), r.mean(base_key))]
    for item in r.doc["sensitivity"]:
        name = item["labels"].get(r.lang) or r.t("parameter")
        n = item["n"]
        unit = assumption_unit(item["path"])
        rows.append((plain(name), plain(shown_input(item["low"], unit, r.lang)),
                     plain(shown_input(item["high"], unit, r.lang)),
                     r.mean(f"sensitivity.{n}.low"), r.mean(f"sensitivity.{n}.high")))
    return Table("sensitivity", f"{r.t('t_sensitivity')} {r.year}",
                 (r.t("parameter"), r.t("low"), r.t("high"), r.t("net_low"), r.t("net_high")),
                 tuple(rows), r.t("sensitivity_note"))


def sensitivity_npv_table(r: Report, line: str = "net.cash") -> Table:
    """The cash net present value with each assumption at its low and high value, and the
    value of the assumption at which it is zero (linear between low and high)."""
    names = {item["n"]: item["labels"].get(r.lang) for item in r.doc["sensitivity"]}
    rows = []
    for i, item in enumerate(r.economics["sensitivity"]):
        place: Ref = ("economics", "sensitivity", i)
        unit = assumption_unit(item["path"])
        inside = item.get("within_range", {}).get(line)
        rows.append((plain(names.get(item["n"]) or r.t("parameter")),
                     number_cell((*place, "npv", line, "low"), item["npv"][line]["low"], "NOK",
                                 r.lang),
                     number_cell((*place, "npv", line, "high"), item["npv"][line]["high"],
                                 "NOK", r.lang),
                     number_cell((*place, "break_even", line), item["break_even"].get(line),
                                 UNIT_OF_ASSUMPTION.get(unit, unit), r.lang),
                     plain(r.t("yes") if inside else r.t("no"))))
    return Table("sensitivity_npv", r.t("t_sensitivity_npv"),
                 (r.t("parameter"), r.t("npv_low"), r.t("npv_high"), r.t("break_even"),
                  r.t("within_range")), tuple(rows), r.t("sensitivity_npv_note"))


UNIT_OF_ASSUMPTION = {"per_day": "", "persons": "", "years": "", "factor": "factor"}
"""Assumption units that figure cells write as plain numbers."""


def shown_input(value: float, unit: str, lang: str) -> str:
    """An input value with its unit: ``350 kr per time``, ``70 %``."""
    words = unit_text(unit, lang)
    shown = show_value(value, unit, lang)
    return f"{shown}\u00a0{words}" if words else shown


def outcome_phrase(r: Report) -> str:
    """What the probabilistic analysis distributes, in words."""
    key = str(r.doc["psa"]["outcome"]["key"])
    phrase = f"outcome_{key}"
    return r.t(phrase) if phrase in OUTCOME_PHRASES else r.t("outcome_other")


OUTCOME_PHRASES = ("outcome_nok.cumulative", "outcome_npv.net.cash",
                   "outcome_npv.net.with_capacity")


def uncertainty_table(r: Report) -> Table:
    """The distribution of the result when every uncertain assumption is drawn together with
    the simulation's own noise (probabilistic sensitivity analysis)."""
    psa = r.doc["psa"]
    unit = psa["outcome"].get("unit", "NOK")
    place: Ref = ("psa", "distribution")
    rows = [(plain(r.t(f"psa_{stat}")),
             number_cell((*place, stat), psa["distribution"][stat], unit, r.lang))
            for stat in ("mean", "p10", "p50", "p90")]
    rows.append((plain(r.t("psa_p_negative")),
                 number_cell((*place, "p_negative"), psa["distribution"]["p_negative"], "share",
                             r.lang)))
    rows.append((plain(r.t("psa_n")),
                 number_cell((*place, "n"), psa["distribution"]["n"], "count", r.lang)))
    return Table("uncertainty", f"{r.t('t_uncertainty')}: {outcome_phrase(r)}",
                 (r.t("indicator"), r.t("value")), tuple(rows), r.t("uncertainty_note"))


def input_label(r: Report, path: str) -> str:
    """The name of an input of the probabilistic analysis."""
    for item in r.doc["psa"]["inputs"]:
        if item["path"] == path:
            labels = item.get("labels") or {}
            if labels.get(r.lang):
                return str(labels[r.lang])
    return r.t("psa_noise") if path == "replication" else r.t("parameter")


def ranking_table(r: Report) -> Table:
    """Which assumptions matter: Sobol' indices, largest total effect first."""
    rows = []
    for i, item in enumerate(r.doc["psa"]["ranking"]):
        place: Ref = ("psa", "ranking", i)
        rows.append((plain(input_label(r, item["path"])),
                     number_cell((*place, "total"), item["total"], "index", r.lang),
                     number_cell((*place, "total_conf"), item["total_conf"], "index", r.lang,
                                 interval=True),
                     number_cell((*place, "first"), item["first"], "index", r.lang)))
    return Table("ranking", r.t("t_ranking"),
                 (r.t("parameter"), r.t("sobol_total"), r.t("ci"), r.t("sobol_first")),
                 tuple(rows), r.t("ranking_note"))


def assumptions_table(r: Report) -> Table:
    """Every assumption with its value, unit, and source or reason."""
    rows = tuple((plain(row.name), plain(row.value), plain(row.unit), plain(row.source))
                 for row in assumption_rows(r.doc, r.lang))
    return Table("assumptions", r.t("t_assumptions"),
                 (r.t("parameter"), r.t("value"), r.t("unit"), r.t("source")), rows,
                 r.t("assumptions_note"))


def run_table(r: Report) -> Table:
    """Scenario, random seed, replications, version and measurement window."""
    doc = r.doc
    window = (doc["window"]["horizon_s"] - doc["window"]["warmup_s"]) / 86400
    rows = ((plain(r.t("scenario")), plain(f"{doc['scenario']['name']} "
                                           f"({doc['scenario']['file']})")),
            (plain(r.t("seed")), plain(str(doc["seed"]))),
            (plain(r.t("replications")), plain(str(doc["replications"]))),
            (plain(r.t("version")), plain(str(doc["vtsim_version"]))),
            (plain(r.t("window")), plain(format_value(window, "count", r.lang))),
            (plain(r.t("checksum")), plain(doc["scenario"]["sha256"][:16])))
    return Table("run", r.t("t_run"), (r.t("indicator"), r.t("value")), rows)
