"""The terminal summary of a region run: the shared centre, then every member side by side."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from reports.i18n import TEXT, format_number, format_seconds, text
from reports.summary import (
    answer_table,
    clipped_percent,
    format_figure,
    format_share,
    format_wall,
    plus_minus_line,
    print_warnings,
    target_text,
    visits_table,
)
from sim.analysis.aggregate import Figure
from sim.analysis.region_sizing import FEWEST_OPERATORS, RegionSizing
from sim.scenario.durations import format_duration, parse_duration
from sim.scenario.region import Region

Column = tuple[str, str]
"""A column of a region table: the figures' key prefix and the heading."""

LABEL_WIDTH = 16
"""Room for a row label in a region table (longer labels wrap)."""
VALUE_WIDTH = 17
"""The narrowest a figure column gets (``97,8 (95,3–100) %`` wraps once at most)."""
CELL_WIDTH = 20
"""Room for one ``12,3 ± 0,4 s`` or ``97,8 (95,3–100) %`` cell with its padding."""


def columns_that_fit(width: int, label_width: int = LABEL_WIDTH,
                     cell_width: int = CELL_WIDTH) -> int:
    """How many figure columns fit beside the row labels in ``width`` terminal columns (at
    least one)."""
    return max(1, (width - label_width) // cell_width)


def fit_label(label: str, width: int = LABEL_WIDTH) -> str:
    """A row label broken into lines of at most ``width`` at ordinary spaces only, so that a
    number stays with its unit (``60\u00a0s``; the terminal library would break there too)."""
    indent = label[:len(label) - len(label.lstrip(" "))]
    lines = textwrap.wrap(label.strip(" "), width - len(indent), break_long_words=False)
    return "\n".join(indent + line for line in lines) if lines else label


def chunks(names: Sequence[Column], size: int) -> list[list[Column]]:
    """``names`` in consecutive groups of at most ``size``."""
    return [list(names[i:i + size]) for i in range(0, len(names), size)]


def _table(title: str, first: str, columns: Sequence[str],
           label_width: int = LABEL_WIDTH, value_width: int | None = VALUE_WIDTH) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column(first, max_width=label_width)
    for column in columns:
        table.add_column(column, justify="right", min_width=value_width)
    return table


def shared_staffing_table(region: Region, figures: dict[str, Figure], lang: str = "en") -> Table:
    """The shared centre's operators and their utilisation per shift."""
    table = _table(text(lang, "g_shared_operators"), text(lang, "r_shift"),
                   [text(lang, "r_on_duty"), text(lang, "r_utilisation")])
    for shift in region.shifts:
        name = TEXT[lang].get(f"shift_{shift.name}", shift.name)
        table.add_row(f"{name} {shift.start}–{shift.end}", str(shift.operators),
                      format_share(figures.get(f"operators.utilisation.{shift.name}"), lang))
    table.add_row(text(lang, "r_all"), "",
                  format_share(figures.get("operators.utilisation.all"), lang))
    return table


def member_columns(region: Region, lang: str) -> list[tuple[str, str]]:
    """``(figure prefix, heading)`` for every member and the region."""
    return ([(f"members.{m.name}.", m.name) for m in region.members]
            + [("", text(lang, "g_region"))])


def members_table(region: Region, figures: dict[str, Figure], lang: str = "en",
                  columns: Sequence[tuple[str, str]] | None = None) -> Table:
    """Each member's incidents, answer times and targets, visits, and operator time used: one
    column per member (``columns``: all members and the region by default)."""
    columns = list(columns or member_columns(region, lang))
    table = _table(text(lang, "g_members"), text(lang, "g_figure"), [c[1] for c in columns])
    days = figures["window.days"].mean
    rows: list[tuple[str, str, Callable[[Figure | None], str]]] = [
        (text(lang, "g_incidents_day"), "incidents.per_day",
         lambda f: format_figure(f, lang=lang)),
        (text(lang, "g_answer_mean"), "answer.mean_s",
         lambda f: format_figure(f, unit="s", lang=lang)),
        (text(lang, "g_answer_p90"), "answer.p90_s",
         lambda f: format_figure(f, unit="s", lang=lang)),
        *((text(lang, "g_within", t=format_seconds(t, lang)),
           f"answer.within_{format_duration(t)}", lambda f: format_share(f, lang))
          for t in region.spec.targets.answer_within),
        (text(lang, "g_visits_day"), "visits.per_day",
         lambda f: format_figure(f, digits=2, lang=lang)),
        (text(lang, "g_visit_mean"), "visits.response_mean_s",
         lambda f: format_figure(f, 1 / 60, "min", lang=lang)),
        *((text(lang, "g_on_site", t=format_seconds(t, lang)),
           f"visits.within_{format_duration(t)}", lambda f: format_share(f, lang))
          for t in region.spec.targets.visit_within),
        (text(lang, "g_operator_hours"), "operators.busy_h",
         lambda f: format_figure(f, 1 / days, lang=lang)),
        (text(lang, "g_operator_share"), "operators.busy_share",
         lambda f: format_share(f, lang)),
    ]
    for label_, key, show in rows:
        cells = [("100\u00a0%" if not prefix and key == "operators.busy_share"
                  else show(figures.get(prefix + key))) for prefix, _ in columns]
        table.add_row(fit_label(label_), *cells)
    return table


SHARING_KEYS = ("inhabitants", "devices", "alarms", "operator_minutes", "fixed_variable")
"""The cost-sharing keys, in the order shown."""


def cost_sharing_table(region: Region, figures: dict[str, Figure], lang: str = "en",
                       columns: Sequence[tuple[str, str]] | None = None) -> Table:
    """Each member's own-centre cost, its share of the shared centre by each key, and its net
    gain (own centre less the share), in 1 000 kr a year."""
    columns = list(columns or member_columns(region, lang))
    table = _table(text(lang, "g_cost_sharing"), text(lang, "g_member_key"),
                   [c[1] for c in columns])

    def money(key: str) -> str:
        return format_figure(figures.get(key), 1 / 1000, digits=0, lang=lang)

    def cell(prefix: str, member_key: str, region_key: str) -> str:
        if not prefix:
            return money(region_key)
        return money(member_key.format(name=prefix.removeprefix("members.").rstrip(".")))

    table.add_row(text(lang, "g_own"),
                  *(cell(p, "costs.{name}.own", "costs.own_total") for p, _ in columns))
    for key in SHARING_KEYS:
        if f"costs.{region.members[0].name}.{key}" not in figures:
            continue
        name = text(lang, f"g_key_{key}")
        table.add_row(fit_label(text(lang, "g_share", what=name)),
                      *(cell(p, f"costs.{{name}}.{key}", "costs.total") for p, _ in columns))
        table.add_row(fit_label("  " + text(lang, "g_gain", what=name)),
                      *(cell(p, f"gain.{{name}}.{key}", "gain.region") for p, _ in columns))
    return table


def print_region_summary(console: Console, region: Region, figures: dict[str, Figure],
                         warnings: Sequence[str], lang: str = "en") -> None:
    """The shared centre's answer times and staffing, the members side by side (in as many
    tables as the terminal's width needs), the region's visits, then the warnings."""
    console.print(text(lang, "g_intro", name=f"[bold]{region.name}[/]", n=str(len(region.members)),
                       per_day=format_figure(figures["incidents.per_day"], lang=lang)))
    console.print(answer_table(figures, lang))
    console.print(shared_staffing_table(region, figures, lang))
    groups = chunks(member_columns(region, lang), columns_that_fit(console.width))
    for group in groups:
        console.print(members_table(region, figures, lang, group))
    console.print(visits_table(figures, lang))
    if "costs.total" in figures:
        for group in groups:
            console.print(cost_sharing_table(region, figures, lang, group))
    replications = figures["window.days"].n if "window.days" in figures else 0
    console.print(plus_minus_line(region.members[0].shared_view, replications, lang),
                  highlight=False)
    print_warnings(console, warnings, lang)


def region_sizing_table(sizing: RegionSizing, lang: str = "en") -> Table:
    """Per shared shift: Erlang C start, operators chosen, the member that binds, why."""
    table = Table(title=text(lang, "g_sizing", name=sizing.region), title_justify="left",
                  header_style="bold")
    headings = ("r_shift", "g_erlang", "g_chosen", "g_binding", "g_why")
    for i, column in enumerate(headings):
        table.add_column(text(lang, column), justify="right" if i in (1, 2) else "left",
                         max_width=None if i == 4 else 14)
    for shift, chosen in sizing.staffing.items():
        table.add_row(TEXT[lang].get(f"shift_{shift}", shift), str(sizing.erlang[shift]),
                      str(chosen), sizing.binding_member(shift), sizing_reason(sizing, shift, lang))
    return table


def sizing_reason(sizing: RegionSizing, shift: str, lang: str = "en") -> str:
    """Why the shift has its operators, in a sentence in the language."""
    chosen = sizing.staffing[shift]
    if shift in sizing.unreachable:
        return text(lang, "g_r_unreachable", n=str(chosen))
    member = sizing.binding_member(shift)
    fewer = sizing.one_fewer.get(shift)
    if chosen <= FEWEST_OPERATORS and (fewer is None or not fewer.runs):
        return text(lang, "g_r_floor", n=str(FEWEST_OPERATORS))
    judged = [j for j in (fewer.judgements if fewer else []) if j.shift == shift
              and j.member == member]
    reason = text(lang, "g_r_least", member=member)
    if judged:
        worst = min(judged, key=lambda j: j.mean)
        share = format_share_value(worst.target.share, lang)
        short = text(lang, "g_r_short" if worst.mean < worst.target.share else "g_r_not_shown",
                     share=share)
        reason = text(lang, "g_r_binds", member=member, n=str(chosen - 1),
                      t=format_seconds(worst.target.within_s, lang),
                      mean=format_share_value(worst.mean, lang),
                      interval=share_interval(worst.low, worst.high, lang), short=short)
    on_mean = sizing.chosen.on_the_mean(shift)
    if on_mean:
        reason += text(lang, "g_r_on_mean", n=str(len(sizing.chosen.runs)),
                       members=", ".join(on_mean))
    return reason


def share_interval(low: float, high: float, lang: str) -> str:
    """An interval of a share, clipped to 0–100 %: ``95,8–100 %``."""
    if math.isnan(low) or math.isnan(high):
        return "–"
    return f"{clipped_percent(low, lang)}–{clipped_percent(high, lang)}\u00a0%"


def format_share_value(value: float, lang: str) -> str:
    """A share as ``97,3 %`` (always one decimal, so that close shares can be told apart)."""
    if math.isnan(value):
        return "–"
    return f"{format_number(100 * value, lang, 1)}\u00a0%"


def region_attainment_table(sizing: RegionSizing, lang: str = "en") -> Table:
    """Every member's share within each target per shift at the chosen staffing."""
    table = Table(title=text(lang, "g_attainment"), title_justify="left", header_style="bold")
    judgements = sizing.chosen.judgements
    columns = sorted({(j.shift, j.target.describe()) for j in judgements},
                     key=lambda c: (list(sizing.staffing).index(c[0]), c[1]))
    table.add_column(text(lang, "g_member"))
    targets = {j.target.describe(): j.target for j in judgements}
    for shift, target in columns:
        table.add_column(f"{TEXT[lang].get(f'shift_{shift}', shift)}\n"
                         f"{target_text(targets[target], lang)}", justify="right")
    for member in dict.fromkeys(j.member for j in judgements):
        cells = []
        for shift, target in columns:
            j = next(j for j in judgements if j.member == member and j.shift == shift
                     and j.target.describe() == target)
            cells.append("–" if j.n == 0 else f"{format_share_value(j.mean, lang)}\n"
                         f"({share_interval(j.low, j.high, lang)})")
        table.add_row(member, *cells)
    return table


def sizing_cost_line(sizing: RegionSizing, lang: str = "en") -> str:
    """What the search cost: wall time, staffings and replications, simulated alarm-years."""
    stats = sizing.stats
    return text(lang, "g_cost_line", staffings=str(stats.staffings),
                replications=str(stats.replications),
                incidents=format_number(stats.alarms, lang, 0),
                years=format_number(stats.simulated_days / 365.0, lang, 1),
                wall=format_wall(stats.wall_s, lang), cpu=format_number(stats.cpu_s, lang, 0))


MODEL_LABEL_WIDTH = 16
"""Room for a row label in the organisation table, so that four models fit in 80 columns."""

MODELS = ("own", "shared", "direct", "purchased")
"""The organisation models, in the order shown."""


def stacked(figure: Figure | None, scale: float = 1.0, unit: str = "", digits: int = 1,
            lang: str = "en") -> str:
    """``mean unit`` over ``± half-width``: a narrow cell, so that four models fit in 80
    columns."""
    if figure is None or math.isnan(figure.mean):
        return "–"
    mean = format_number(figure.mean * scale, lang, digits) + (f"\u00a0{unit}" if unit else "")
    if math.isnan(figure.ci_half_width):
        return mean
    return f"{mean}\n±\u00a0{format_number(figure.ci_half_width * scale, lang, digits)}"


def stacked_share(figure: Figure | None, lang: str = "en") -> str:
    """A share over its interval, clipped to 0–100 % where the t interval passes them
    (``99,6 %`` over ``99,2–100,0``)."""
    if figure is None or math.isnan(figure.mean) or math.isnan(figure.ci_half_width):
        return stacked(figure, 100.0, "%", lang=lang)
    low, high = figure.mean - figure.ci_half_width, figure.mean + figure.ci_half_width
    if low >= 0.0 and high <= 1.0:
        return stacked(figure, 100.0, "%", lang=lang)
    return (f"{format_share_value(figure.mean, lang)}\n"
            f"{clipped_percent(low, lang)}–{clipped_percent(high, lang)}")


def organisation_table(region: Region, figures: dict[str, Figure], answer_key: str,
                       name: str, lang: str = "en") -> Table:
    """The four organisation models side by side for one member (or ``region``): answer share
    and mean, visit response, årsverk, cost a year and (where the members have a benefit
    analysis) net present value, with the paired difference from the own centre (common
    random numbers). A purchased service's answer share is its contract's."""
    within = format_seconds(parse_duration(answer_key.removeprefix("answer.within_")), lang)
    shown = text(lang, "g_region") if name == "region" else name
    table = _table(text(lang, "g_models", name=shown), text(lang, "g_figure"),
                   [text(lang, f"g_m_{m}") for m in MODELS], label_width=MODEL_LABEL_WIDTH,
                   value_width=None)

    def cells(key: str, show: Callable[[Figure | None], str]) -> list[str]:
        out = []
        for model in MODELS:
            figure = figures.get(f"models.{name}.{model}.{key}")
            if model == "purchased" and key == answer_key and figure is not None:
                out.append(f"{format_share_value(figure.mean, lang)}\n{text(lang, 'g_contract')}")
            else:
                out.append(show(figure))
        return out

    def deltas(key: str, show: Callable[[Figure | None], str]) -> list[str]:
        return ["–", *(show(figures.get(f"models.{name}.{model}_vs_own.{key}"))
                       for model in MODELS[1:])]

    def thousands(f: Figure | None) -> str:
        return stacked(f, 1 / 1000, digits=0, lang=lang)

    if name != "region":
        table.add_row(text(lang, "g_within", t=within),
                      *cells(answer_key, lambda f: stacked_share(f, lang)))
        table.add_row("  Δ", *deltas(answer_key, lambda f: stacked(f, 100.0, "pp", lang=lang)))
        table.add_row(text(lang, "g_answer_mean"),
                      *cells("answer.mean_s", lambda f: stacked(f, unit="s", lang=lang)))
        table.add_row(text(lang, "g_visit_mean"), *cells(
            "visits.response_mean_s", lambda f: stacked(f, 1 / 60, "min", lang=lang)))
    table.add_row(text(lang, "g_arsverk"),
                  *cells("arsverk", lambda f: stacked(f, digits=2, lang=lang)))
    table.add_row(text(lang, "g_cost"), *cells("cost", thousands))
    table.add_row("  " + text(lang, "g_d_cost"), *deltas("cost", thousands))
    npv = next((k for k in figures if k.startswith(f"models.{name}.own.npv_")), None)
    if npv is not None:
        first, last = npv.removeprefix(f"models.{name}.own.npv_").split("_")
        key = f"npv_{first}_{last}"
        table.add_row(text(lang, "g_npv", first=first, last=last), *cells(key, thousands))
        table.add_row("  " + text(lang, "g_d_npv"), *deltas(key, thousands))
    return table


def region_sizing_document(sizing: RegionSizing, alone: dict[str, dict[str, int]], seed: int,
                           version: str) -> dict[str, Any]:
    """``region-sizing.json``: the staffing found, the member binding each shift and why, each
    member's share within every target per shift, the own-centre estimates and the cost."""
    stats = sizing.stats
    return {
        "schema": "vtsim.region-sizing/1",
        "vtsim_version": version,
        "region": sizing.region,
        "seed": seed,
        "erlang_c": sizing.erlang,
        "staffing": sizing.staffing,
        "binding": {s: {"member": sizing.binding_member(s), "reason": sizing.reason(s)}
                    for s in sizing.staffing},
        "members_alone_erlang_c": alone,
        "judgements": [
            {"member": j.member, "shift": j.shift, "target": j.target.describe(),
             "mean": _number(j.mean), "low": _number(j.low), "high": _number(j.high), "n": j.n}
            for j in sizing.chosen.judgements],
        "replications_at_staffing": len(sizing.chosen.runs),
        "search": {"staffings": stats.staffings, "replications": stats.replications,
                   "incidents": stats.alarms, "region_days": stats.simulated_days,
                   "wall_s": round(stats.wall_s, 1), "cpu_s": round(stats.cpu_s, 1)},
    }


def _number(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 6)
