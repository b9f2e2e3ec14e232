"""The tables of the benefit report, built from ``metrics.json`` only.

HTML, spreadsheet and PDF render these same tables, so they show the same figures. A figure cell
remembers which key, year and statistic it shows; tests compare every such cell with
``metrics.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reports.i18n import format_number, format_value, label, text
from sim.scenario.durations import format_duration

PLUS_MINUS = "± "


@dataclass(frozen=True, slots=True)
class Cell:
    """One table cell: plain text, or one statistic of one figure."""

    text: str
    key: str = ""
    year: str = ""
    stat: str = ""
    value: float | None = None
    unit: str = ""

    @property
    def is_figure(self) -> bool:
        """Whether the cell shows a figure of ``metrics.json``."""
        return bool(self.key)


@dataclass(frozen=True, slots=True)
class Table:
    """A titled table with a header row."""

    ident: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


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

    def figure(self, key: str, year: str | None = None) -> dict[str, Any]:
        """The figure of a key in a year (the base year by default)."""
        return dict(self.doc["metrics"][year or self.year][key])

    def has(self, key: str, year: str | None = None) -> bool:
        """Whether the year has the key."""
        return key in self.doc["metrics"][year or self.year]

    def mean(self, key: str, year: str | None = None) -> Cell:
        """A cell with the mean of a figure."""
        return self._cell(key, year or self.year, "mean")

    def ci(self, key: str, year: str | None = None) -> Cell:
        """A cell with the half-width of a figure's confidence interval."""
        return self._cell(key, year or self.year, "ci_half_width")

    def _cell(self, key: str, year: str, stat: str) -> Cell:
        fig = self.figure(key, year)
        value = fig[stat]
        shown = format_value(value, fig["unit"], self.lang)
        if stat == "ci_half_width" and value is not None:
            shown = PLUS_MINUS + shown
        return Cell(shown, key, year, stat, value, fig["unit"])

    def purpose_label(self, purpose: str) -> str:
        """A purpose's name in the language (the scenario's label, or a known word)."""
        labels = self.doc["purposes"].get(purpose, {})
        return str(labels.get(self.lang) or label(self.lang, purpose))


def plain(value: str) -> Cell:
    """A text cell."""
    return Cell(value)


def build_tables(document: dict[str, Any], lang: str) -> list[Table]:
    """Every table of the report, in report order."""
    r = Report(document, lang)
    tables = [summary_table(r), visits_table(r), devices_table(r), hours_table(r),
              costs_table(r), quality_table(r)]
    if len(r.years) > 1:
        tables.append(years_table(r))
    if document["sensitivity"]:
        tables.append(sensitivity_table(r))
    if "follow_up" in document:
        from reports.benefit.follow_up import follow_up_tables  # imports this module

        tables.extend(follow_up_tables(document["follow_up"], lang))
    tables.extend([assumptions_table(r), run_table(r)])
    return tables


def figure_rows(r: Report, items: list[tuple[str, str]]) -> tuple[tuple[Cell, ...], ...]:
    """Rows of label, mean and CI for ``(phrase key, metric key)`` pairs."""
    return tuple((plain(r.t(phrase)), r.mean(key), r.ci(key)) for phrase, key in items)


def summary_table(r: Report) -> Table:
    """The figures a council asks for first."""
    items = [("visits_saved_week", "visits.saved.per_week"),
             ("visits_saved_year", "visits.saved.per_year"),
             ("hours_saved_year", "hours.saved.per_year"), ("arsverk_freed", "arsverk.saved"),
             ("avoided", "nok.avoided.per_year"), ("running", "nok.costs.running.per_year"),
             ("net", "nok.net.per_year"), ("one_off", "nok.costs.one_off"),
             ("payback", "payback.years")]
    return Table("summary", f"{r.t('t_summary')} {r.year}",
                 (r.t("indicator"), r.t("value"), r.t("ci")), figure_rows(r, items))


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
    """Visits saved per week and per year by device kind."""
    rows = [arm_row(r, label(r.lang, kind), "visits", f"by_device.{kind}.per_week")
            for kind in device_kinds(r)]
    return Table("devices", r.t("t_devices"), arm_columns(r, "indicator"), tuple(rows))


def device_kinds(r: Report) -> list[str]:
    """Device kinds present in the base year."""
    prefix = "devices."
    return [k.removeprefix(prefix) for k, f in r.doc["metrics"][r.year].items()
            if k.startswith(prefix) and (f["mean"] or 0) > 0]


def hours_table(r: Report) -> Table:
    """Staff hours per year by component in both arms and saved."""
    components = ("travel", "on_site", "key_handling", "alarm_answering", "search")
    rows = [arm_row(r, r.t(c), "hours", f"{c}.per_year") for c in components]
    rows.append(arm_row(r, r.t("total"), "hours", "per_year"))
    rows.append((plain("årsverk"), r.mean("arsverk.baseline"), r.mean("arsverk.technology"),
                 r.mean("arsverk.saved"), r.ci("arsverk.saved")))
    return Table("hours", r.t("t_hours"), arm_columns(r, "indicator"), tuple(rows))


def costs_table(r: Report) -> Table:
    """Avoided costs, costs, net gain and payback."""
    items = [("avoided", "nok.avoided.per_year"), ("rent", "nok.costs.rent.per_year"),
             ("licences", "nok.costs.licences.per_year"),
             ("centre_staff", "nok.costs.centre_staff.per_year"),
             ("running", "nok.costs.running.per_year"), ("net", "nok.net.per_year"),
             ("one_off", "nok.costs.one_off"), ("payback", "payback.years")]
    return Table("costs", r.t("t_costs"), (r.t("indicator"), r.t("value"), r.t("ci")),
                 figure_rows(r, items))


def quality_table(r: Report) -> Table:
    """Answer and visit times against target, missed doses, people found."""
    rows: list[tuple[Cell, ...]] = [(plain(r.t("answer_mean")), r.mean("quality.answer.mean_s"),
                                     r.ci("quality.answer.mean_s"))]
    for target in r.doc["targets"]["answer_within_s"]:
        key = f"quality.answer.within_{format_duration(target)}"
        rows.append((plain(r.t("answer_within", t=format_duration(target))), r.mean(key),
                     r.ci(key)))
    rows.append((plain(r.t("visit_mean")), r.mean("quality.visits.response_mean_min"),
                 r.ci("quality.visits.response_mean_min")))
    for target in r.doc["targets"]["visit_within_s"]:
        key = f"quality.visits.within_{format_duration(target)}"
        rows.append((plain(r.t("visit_within", t=format_duration(target))), r.mean(key),
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
                 tuple(rows))


def years_table(r: Report) -> Table:
    """Gains, costs and staff needed per year of the plan."""
    items = [("users", "users.count"), ("visits_saved_week", "visits.saved.per_week"),
             ("arsverk_freed", "arsverk.saved"), ("avoided", "nok.avoided.per_year"),
             ("running", "nok.costs.running.per_year"),
             ("one_off_in_year", "nok.costs.one_off_in_year"), ("net", "nok.net.per_year"),
             ("cumulative", "nok.cumulative"),
             ("operator_arsverk", "staff.centre.operator_arsverk"),
             ("plan_arsverk", "staff.home_care.plan_arsverk"),
             ("with_tech_arsverk", "staff.home_care.with_technology_arsverk")]
    rows = tuple((plain(r.t(phrase)), *(r.mean(key, y) for y in r.years)) for phrase, key in items)
    return Table("years", r.t("t_years"), (r.t("indicator"), *r.years), rows)


def sensitivity_table(r: Report) -> Table:
    """Net gain per year with each assumption at its low and high value."""
    rows = []
    for item in r.doc["sensitivity"]:
        name = item["labels"].get(r.lang) or item["path"]
        n = item["n"]
        rows.append((plain(name), plain(format_number(item["low"], r.lang, 2)),
                     plain(format_number(item["high"], r.lang, 2)),
                     r.mean(f"sensitivity.{n}.low"), r.mean(f"sensitivity.{n}.high")))
    return Table("sensitivity", f"{r.t('t_sensitivity')} {r.year}",
                 (r.t("parameter"), r.t("low"), r.t("high"), r.t("net_low"), r.t("net_high")),
                 tuple(rows))


def assumptions_table(r: Report) -> Table:
    """Every parameter of the benefit section with its value and source."""
    rows = []
    for item in r.doc["assumptions"]:
        value = item["value"]
        shown = format_number(value, r.lang, 2) if isinstance(value, int | float) \
            and not isinstance(value, bool) else str(value)
        source = item["source"]
        rows.append((plain(item["path"]), plain(shown),
                     plain(r.t("assumption") if source == "assumption" else source)))
    return Table("assumptions", r.t("t_assumptions"),
                 (r.t("path"), r.t("value"), r.t("source")), tuple(rows))


def run_table(r: Report) -> Table:
    """Scenario, seed, replications, version and window."""
    doc = r.doc
    window = (doc["window"]["horizon_s"] - doc["window"]["warmup_s"]) / 86400
    rows = ((plain(r.t("scenario")), plain(f"{doc['scenario']['name']} "
                                           f"({doc['scenario']['file']})")),
            (plain(r.t("seed")), plain(str(doc["seed"]))),
            (plain(r.t("replications")), plain(str(doc["replications"]))),
            (plain(r.t("version")), plain(str(doc["vtsim_version"]))),
            (plain(r.t("window")), plain(format_number(window, r.lang, 0))),
            (plain("sha256"), plain(doc["scenario"]["sha256"][:16])))
    return Table("run", r.t("t_run"), (r.t("indicator"), r.t("value")), rows)
