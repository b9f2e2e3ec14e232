"""The terminal summary of a region run: the shared centre, then every member side by side."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from reports.summary import (
    answer_table,
    format_figure,
    format_share,
    print_warnings,
    visits_table,
)
from sim.analysis.aggregate import Figure
from sim.analysis.region_sizing import RegionSizing
from sim.scenario.durations import format_duration
from sim.scenario.region import Region


def shared_staffing_table(region: Region, figures: dict[str, Figure]) -> Table:
    """The shared centre's operators and their utilisation per shift."""
    table = Table(title="Shared centre: operators", title_justify="left", header_style="bold")
    for i, column in enumerate(("shift", "on duty", "utilisation")):
        table.add_column(column, justify="left" if i == 0 else "right")
    for shift in region.shifts:
        table.add_row(f"{shift.name} {shift.start}–{shift.end}", str(shift.operators),
                      format_share(figures.get(f"operators.utilisation.{shift.name}")))
    table.add_row("all", "", format_share(figures.get("operators.utilisation.all")))
    return table


def members_table(region: Region, figures: dict[str, Figure]) -> Table:
    """Each member's incidents, answer times and targets, visits, and operator time used: one
    column per member, and the region's in the last."""
    table = Table(title="Members (each member's own alarms and visits)", title_justify="left",
                  header_style="bold")
    table.add_column("figure")
    for member in region.members:
        table.add_column(member.name, justify="right")
    table.add_column("region", justify="right")
    days = figures["window.days"].mean
    rows: list[tuple[str, str, Callable[[Figure | None], str]]] = [
        ("incidents per day", "incidents.per_day", format_figure),
        ("answer, mean", "answer.mean_s", lambda f: format_figure(f, unit="s")),
        ("answer, 90th pct", "answer.p90_s", lambda f: format_figure(f, unit="s")),
        *((f"answered within {format_duration(t)}", f"answer.within_{format_duration(t)}",
           format_share) for t in region.spec.targets.answer_within),
        ("visits per day", "visits.per_day", lambda f: format_figure(f, digits=2)),
        ("visit response, mean", "visits.response_mean_s",
         lambda f: format_figure(f, 1 / 60, "min")),
        *((f"on site within {format_duration(t)}", f"visits.within_{format_duration(t)}",
           format_share) for t in region.spec.targets.visit_within),
        ("operator hours per day", "operators.busy_h", lambda f: format_figure(f, 1 / days)),
        ("share of operator time", "operators.busy_share", format_share),
    ]
    for label, key, show in rows:
        cells = [show(figures.get(f"members.{m.name}.{key}")) for m in region.members]
        region_cell = "100 %" if key == "operators.busy_share" else show(figures.get(key))
        table.add_row(label, *cells, region_cell)
    return table


KEY_LABELS = {
    "inhabitants": "per inhabitant",
    "devices": "per device",
    "alarms": "per alarm",
    "operator_minutes": "per operator-minute used",
    "fixed_variable": "fixed + variable",
}


def cost_sharing_table(region: Region, figures: dict[str, Figure]) -> Table:
    """Each member's own-centre cost, its share of the shared centre by each key, and its net
    gain (own centre less the share), NOK a year."""
    table = Table(title="Cost sharing (NOK a year; gain = own centre less the share)",
                  title_justify="left", header_style="bold")
    table.add_column("member / key")
    for member in region.members:
        table.add_column(member.name, justify="right")
    table.add_column("region", justify="right")

    def money(key: str) -> str:
        return format_figure(figures.get(key), 1 / 1000, "k", 0)

    table.add_row("own centre", *(money(f"costs.{m.name}.own") for m in region.members),
                  money("costs.own_total"))
    for key, label in KEY_LABELS.items():
        if f"costs.{region.members[0].name}.{key}" not in figures:
            continue
        table.add_row(f"share {label}", *(money(f"costs.{m.name}.{key}")
                                          for m in region.members), money("costs.total"))
        table.add_row(f"  gain {label}", *(money(f"gain.{m.name}.{key}")
                                           for m in region.members), money("gain.region"))
    return table


def print_region_summary(console: Console, region: Region, figures: dict[str, Figure],
                         warnings: Sequence[str]) -> None:
    """The shared centre's answer times and staffing, the members side by side, the region's
    visits, then the warnings."""
    console.print(f"[bold]{region.name}[/]: {len(region.members)} members sharing one centre "
                  f"({format_figure(figures['incidents.per_day'])} incidents a day)")
    console.print(answer_table(figures))
    console.print(shared_staffing_table(region, figures))
    console.print(members_table(region, figures))
    console.print(visits_table(figures))
    if "costs.total" in figures:
        console.print(cost_sharing_table(region, figures))
    print_warnings(console, warnings)


def region_sizing_table(sizing: RegionSizing) -> Table:
    """Per shared shift: Erlang C start, operators chosen, the member that binds, why."""
    table = Table(title=f"Shared centre sizing: {sizing.region}", title_justify="left",
                  header_style="bold")
    for i, column in enumerate(("shift", "Erlang C", "chosen", "binding member", "why")):
        table.add_column(column, justify="right" if i in (1, 2) else "left")
    for shift, chosen in sizing.staffing.items():
        table.add_row(shift, str(sizing.erlang[shift]), str(chosen),
                      sizing.binding_member(shift), sizing.reason(shift))
    return table


def region_attainment_table(sizing: RegionSizing) -> Table:
    """Every member's share within each target per shift at the chosen staffing."""
    table = Table(title="Each member at the chosen staffing (share within target, "
                        "mean and interval)", title_justify="left", header_style="bold")
    judgements = sizing.chosen.judgements
    columns = sorted({(j.shift, j.target.describe()) for j in judgements},
                     key=lambda c: (list(sizing.staffing).index(c[0]), c[1]))
    table.add_column("member")
    for shift, target in columns:
        table.add_column(f"{shift}\n{target}", justify="right")
    for member in dict.fromkeys(j.member for j in judgements):
        cells = []
        for shift, target in columns:
            j = next(j for j in judgements if j.member == member and j.shift == shift
                     and j.target.describe() == target)
            cells.append("–" if j.n == 0 else f"{j.mean:.1%} ({j.low:.1%}–{j.high:.1%})")
        table.add_row(member, *cells)
    return table


def sizing_cost_line(sizing: RegionSizing) -> str:
    """What the search cost: wall time, staffings and replications, simulated alarm-years."""
    stats = sizing.stats
    years = stats.simulated_days / 365.0
    return (f"{stats.staffings} staffings, {stats.replications} replications "
            f"({stats.alarms:,.0f} incidents, {years:.1f} region-years simulated) in "
            f"{stats.wall_s:.0f} s ({stats.cpu_s:.0f} processor-seconds)")


MODEL_LABELS = {
    "own": "own centre",
    "shared": "shared centre",
    "direct": "direct (home care)",
    "purchased": "purchased",
}


def organisation_table(region: Region, figures: dict[str, Figure], answer_key: str,
                       name: str) -> Table:
    """The four organisation models side by side for one member (or ``region``): answer share
    and mean, visit response, årsverk and cost a year, and the paired difference from the own
    centre (common random numbers). A purchased service's answer share is its contract's."""
    within = answer_key.removeprefix("answer.within_")
    table = Table(title=f"Organisation models: {name} (mean ± 95 % interval; Δ = paired "
                        "difference from the own centre)", title_justify="left",
                  header_style="bold")
    table.add_column("figure")
    for label in MODEL_LABELS.values():
        table.add_column(label, justify="right")

    def cells(key: str, show: Callable[[Figure | None], str]) -> list[str]:
        out = []
        for model in MODEL_LABELS:
            figure = figures.get(f"models.{name}.{model}.{key}")
            if model == "purchased" and key == answer_key and figure is not None:
                out.append(f"{figure.mean:.1%} (contract)")
            else:
                out.append(show(figure))
        return out

    def deltas(key: str, show: Callable[[Figure | None], str]) -> list[str]:
        return ["–", *(show(figures.get(f"models.{name}.{model}_vs_own.{key}"))
                       for model in ("shared", "direct", "purchased"))]

    if name != "region":
        table.add_row(f"answered within {within}", *cells(answer_key, format_share))
        table.add_row("  Δ", *deltas(answer_key,
                                     lambda f: format_figure(f, 100.0, "pp", 1)))
        table.add_row("answer, mean", *cells("answer.mean_s",
                                             lambda f: format_figure(f, unit="s")))
        table.add_row("visit response, mean", *cells(
            "visits.response_mean_s", lambda f: format_figure(f, 1 / 60, "min")))
    table.add_row("årsverk (own staff answering)", *cells("arsverk",
                                                          lambda f: format_figure(f, digits=2)))
    table.add_row("cost, NOK a year", *cells("cost",
                                             lambda f: format_figure(f, 1 / 1000, "k", 0)))
    table.add_row("  Δ cost", *deltas("cost", lambda f: format_figure(f, 1 / 1000, "k", 0)))
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
