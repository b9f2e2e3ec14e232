"""Page one of the benefit report: what was compared, the result with its uncertainty, what it
depends on and what it does not include, in plain words.

Every number on this page is the text of a cell of the report's tables (or an input written the
way the assumptions table writes it), so the summary never disagrees with the tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reports.benefit.tables import (
    PLUS_MINUS,
    Cell,
    Report,
    Table,
    device_counts,
    outcome_phrase,
    table_by_id,
)
from reports.i18n import format_million_nok, format_share, format_year

EXCLUDED: dict[str, tuple[str, ...]] = {
    "nb": (
        "Kvalitet for brukerne (trygghet, selvstendighet, færre forstyrrelser om natten) er ikke "
        "regnet om til kroner; den er vurdert for seg i tabellen over ikke-prissatte "
        "virkninger.",
        "Hjemmetjenestens egen svartid på alarmer i dag er ikke modellert; svartidene gjelder "
        "responssenteret.",
        "Kø og ruteplanlegging i hjemmetjenestens runder er ikke modellert: hvert planlagt besøk "
        "koster sin egen tid.",
        "Kostnader og gevinster for pårørende, fastleger og spesialisthelsetjenesten er ikke med.",
    ),
    "en": (
        "Quality for the users (safety, independence, fewer disturbances at night) is not turned "
        "into money; it is assessed on its own in the table of non-priced effects.",
        "Home care's own answer time to alarms today is not modelled; answer times are the "
        "response centre's.",
        "Queues and route planning in home-care rounds are not modelled: each planned visit "
        "costs its own time.",
        "Costs and gains for relatives, GPs and specialist health services are not included.",
    ),
}


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and its paragraphs."""

    heading: str
    paragraphs: tuple[str, ...]


def page_one(document: dict[str, Any], lang: str, tables: list[Table]) -> list[Section]:
    """The four sections of page one."""
    r = Report(document, lang)
    return [Section(r.t("s_compared"), compared(r)),
            Section(r.t("s_result"), result(r, tables)),
            Section(r.t("s_depends"), depends(r, tables)),
            Section(r.t("s_excluded"), EXCLUDED[lang])]


def compared(r: Report) -> tuple[str, ...]:
    """What the two alternatives are, how they were simulated and how money is counted."""
    doc = r.doc
    years = doc["years"]
    span = format_year(years[0]) if len(years) == 1 else (
        f"{format_year(years[0])}–{format_year(years[-1])}")
    devices = device_counts(r)
    runs = str(doc["replications"])
    if r.lang == "nb":
        first = (f"Hjemmetjenesten i scenarioet «{doc['scenario']['name']}» uten og med "
                 f"velferdsteknologi og et responssenter som tar imot alarmene. Utstyr: "
                 f"{devices}. Begge alternativene er simulert med de samme brukerne, døgnene og "
                 f"hendelsene, {runs} ganger for hvert år ({span}).")
    else:
        first = (f"Home care in the scenario \u201c{doc['scenario']['name']}\u201d without and "
                 f"with welfare technology and a response centre that receives the alarms. "
                 f"Devices: {devices}. Both alternatives are simulated with the same users, days "
                 f"and events, {runs} times for each year ({span}).")
    return (first, *money_method(r))


def money_method(r: Report) -> tuple[str, ...]:
    """How the money is counted (empty without the cost–benefit section)."""
    method = r.economics.get("method")
    if not method:
        return ()
    first, period = int(method["first_year"]), int(method["period_years"])
    rate = format_share(method["discount_rate"], r.lang)
    last = format_year(first + period - 1)
    if r.lang == "nb":
        return (f"Kroner er regnet over {period} år ({format_year(first)}–{last}) i faste "
                f"{format_year(method['price_year'])}-kroner med {rate} kalkulasjonsrente og "
                f"skattefinansieringskostnad, etter DFØs Veileder i samfunnsøkonomiske "
                f"analyser og Finansdepartementets rundskriv R-109/2021.",)
    return (f"Money is counted over {period} years ({format_year(first)}–{last}) in fixed "
            f"{format_year(method['price_year'])} kroner with a {rate} discount rate and the "
            f"cost of public funds, after DFØ's guide to cost–benefit analysis and the Ministry "
            f"of Finance's circular R-109/2021.",)


def row_cells(table: Table, ref_key: str) -> tuple[Cell, ...] | None:
    """The row of a summary-like table whose value cell shows ``ref_key`` (a metric key or an
    economics line)."""
    for row in table.rows:
        if len(row) > 1 and row[1].is_figure and ref_key in row[1].ref:
            return row
    return None


def value_with_ci(row: tuple[Cell, ...] | None, lang: str = "nb") -> str:
    """``56 214 599 kr (± 3 595 386 kr)``; kroner in millions for prose:
    ``56,2 mill. kr (± 3,6 mill. kr)``."""
    if row is None:
        return "–"
    shown = [prose(cell, lang) for cell in row[1:3]]
    if len(shown) > 1 and in_millions(row[1]) and row[2].value is not None:
        half = row[2].value
        shown[1] = format_million_nok(half, lang, 1 if abs(half) >= 5e4 or half == 0 else 2)
    return f"{shown[0]} ({PLUS_MINUS}{shown[1]})" if len(shown) > 1 else shown[0]


def in_millions(cell: Cell) -> bool:
    """Whether page one writes the cell's kroner in millions."""
    return cell.unit in ("NOK", "NOK/yr") and cell.value is not None and abs(cell.value) >= 1e6


def magnitude(row: tuple[Cell, ...] | None, lang: str) -> str:
    """:func:`value_with_ci` of a negative figure without its minus sign, for "costs"."""
    return value_with_ci(row, lang).lstrip("-\u2212")


def is_negative(row: tuple[Cell, ...] | None) -> bool:
    """Whether the row's figure is below zero."""
    return row is not None and row[1].value is not None and row[1].value < 0


def prose(cell: Cell, lang: str) -> str:
    """A figure cell's number as page one writes it: the table's text, but kroner above a
    million in millions (the same number, rounded)."""
    if in_millions(cell) and cell.value is not None:
        return format_million_nok(cell.value, lang)
    return cell.text.removeprefix(PLUS_MINUS)


def result(r: Report, tables: list[Table]) -> tuple[str, ...]:
    """The net present values, the freed time, and the answer quality, with uncertainty."""
    summary = table_by_id(tables, "summary")
    cash = value_with_ci(row_cells(summary, "net.cash"), r.lang)
    capacity = value_with_ci(row_cells(summary, "net.with_capacity"), r.lang)
    hours = value_with_ci(row_cells(summary, "hours.saved.per_year"), r.lang)
    gross = value_with_ci(row_cells(summary, "arsverk.saved"), r.lang)
    net_row = row_cells(summary, "arsverk.freed_net")
    net = value_with_ci(net_row, r.lang)
    costs = is_negative(net_row)
    answered = value_with_ci(row_cells(summary, "quality.answer.within_1min"), r.lang)
    budget = value_with_ci(row_cells(summary, "nok.net.per_year"), r.lang)
    lines = []
    if r.lang == "nb":
        if r.economics:
            lines.append(f"Netto nåverdi av kontantvirkningene er {cash}; tallet i parentes er "
                         f"usikkerheten fra simuleringen (95 % konfidensintervall). Medregnet "
                         f"verdien av frigjort kapasitet, som ikke er kontanter, er netto "
                         f"nåverdi {capacity}.")
        else:
            lines.append(f"Netto budsjettvirkning per år er {budget}.")
        netto = "" if net == "–" else (
            f", men koster {magnitude(net_row, r.lang)} årsverk netto når bemanningen av "
            f"responssenteret er regnet med" if costs else
            f" og {net} årsverk netto etter bemanningen av responssenteret")
        lines.append(f"Teknologien frigjør {hours} arbeidstimer per år i hjemmetjenesten: "
                     f"{gross} årsverk brutto{netto}. Timene er kapasitet til å møte økt behov; "
                     f"bare den andelen kommunen tar ut av budsjettet, regnes som kontanter.")
        lines.append(f"Responssenteret besvarer {answered} av alarmene innen 60\u00a0s.")
        lines.extend(spread(r, tables))
    else:
        if r.economics:
            lines.append(f"The net present value of the cash effects is {cash}; the figure in "
                         f"brackets is the uncertainty from the simulation (95 % confidence "
                         f"interval). Including the value of freed capacity, which is not cash, "
                         f"the net present value is {capacity}.")
        else:
            lines.append(f"The net budget effect per year is {budget}.")
        of_net = "" if net == "–" else (
            f", but costs {magnitude(net_row, r.lang)} årsverk net once the response centre's "
            f"staffing is counted" if costs else
            f" and {net} årsverk net of the response centre's staffing")
        lines.append(f"The technology frees {hours} working hours a year in home care: {gross} "
                     f"årsverk gross{of_net}. The hours are capacity to meet growing demand; "
                     f"only the share the municipality takes out of the budget counts as cash.")
        lines.append(f"The response centre answers {answered} of the alarms within 60\u00a0s.")
        lines.extend(spread(r, tables))
    return tuple(lines)


def spread(r: Report, tables: list[Table]) -> list[str]:
    """The probabilistic analysis in one sentence: P10–P90, the median and P(negative)."""
    found = [t for t in tables if t.ident == "uncertainty"]
    if not found:
        return []
    cells = {row[1].ref[-1]: prose(row[1], r.lang) for row in found[0].rows}
    outcome = outcome_phrase(r)
    if r.lang == "nb":
        return [f"Når alle usikre forutsetninger trekkes samtidig med simuleringens egen "
                f"variasjon, ligger {outcome} mellom {cells['p10']} og {cells['p90']} (P10–P90, "
                f"median {cells['p50']}). Sannsynligheten for at det blir negativt, er "
                f"{cells['p_negative']}."]
    return [f"With every uncertain assumption drawn together with the simulation's own "
            f"variation, the {outcome} lies between {cells['p10']} and {cells['p90']} "
            f"(P10–P90, median {cells['p50']}). The probability that it is negative is "
            f"{cells['p_negative']}."]


def depends(r: Report, tables: list[Table]) -> tuple[str, ...]:
    """The assumptions that move the result most (one at a time), and the break-even values."""
    lines = ranked(r, tables)
    swings = largest_swings(tables, r.lang)
    if swings:
        items = [f"{name} ({low} – {high})" for name, low, high in swings]
        lead = ("Disse forutsetningene flytter den årlige nettovirkningen mest (resultat ved lav "
                "– høy verdi): " if r.lang == "nb" else
                "These assumptions move the net effect per year most (result at low – high "
                "value): ")
        lines.append(lead + "; ".join(items) + ".")
    lines.extend(break_even_lines(r, tables))
    lines.append("Alle forutsetninger står med verdi, enhet og kilde i vedlegget." if r.lang == "nb"
                 else "Every assumption is listed with its value, unit and source in the "
                      "appendix.")
    return tuple(lines)


def ranked(r: Report, tables: list[Table], count: int = 3) -> list[str]:
    """The assumptions with the largest total Sobol' index."""
    found = [t for t in tables if t.ident == "ranking"]
    if not found or not found[0].rows:
        return []
    items = [f"{row[0].text} ({row[1].text})" for row in found[0].rows[:count]]
    lead = ("Usikkerhetsanalysen rangerer disse forutsetningene høyest (total Sobol-indeks, "
            "andel av variasjonen): " if r.lang == "nb" else
            "The uncertainty analysis ranks these assumptions highest (total Sobol' index, "
            "share of the variation): ")
    return [lead + "; ".join(items) + "."]


def largest_swings(tables: list[Table], lang: str, count: int = 3) -> list[tuple[str, str, str]]:
    """The ``count`` assumptions of the sensitivity table with the widest swing."""
    found = [t for t in tables if t.ident == "sensitivity"]
    if not found:
        return []
    rows = found[0].rows[1:]

    def swing(row: tuple[Cell, ...]) -> float:
        return abs((row[4].value or 0.0) - (row[3].value or 0.0))

    ranked = sorted(rows, key=swing, reverse=True)[:count]
    return [(row[0].text, prose(row[3], lang), prose(row[4], lang)) for row in ranked]


def break_even_lines(r: Report, tables: list[Table]) -> list[str]:
    """Break-even values of the cash net present value that are possible (a share between
    0 and 100 %)."""
    found = [t for t in tables if t.ident == "break_even"]
    if not found:
        return []
    parts = [f"{row[0].text} {row[3].text} ({r.t('now').lower()} {row[2].text})"
             for row in found[0].rows
             if row[4].text == r.t("yes") and row[3].value is not None
             and not (row[3].unit == "share" and not 0.0 <= row[3].value <= 1.0)
             and r.doc["economics"]["break_even"][row[3].ref[2]]["line"] == "net.cash"]
    if not parts:
        return []
    lead = ("Kontantresultatet blir null (nullpunkt) ved: " if r.lang == "nb" else
            "The cash result is zero (break-even) at: ")
    return [lead + "; ".join(parts) + "."]
