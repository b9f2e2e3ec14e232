"""The terminal summary of a run: rich tables of the main figures with 95 % intervals."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table

from sim.analysis.aggregate import Figure
from sim.scenario.schema import OUTCOMES, Scenario

DAY = 86400.0


def format_figure(figure: Figure | None, scale: float = 1.0, unit: str = "",
                  digits: int = 1) -> str:
    """``mean ± half-width unit``, or ``–`` where the figure is undefined."""
    if figure is None or math.isnan(figure.mean):
        return "–"
    text = f"{figure.mean * scale:,.{digits}f}"
    if not math.isnan(figure.ci_half_width):
        text += f" ± {figure.ci_half_width * scale:,.{digits}f}"
    return f"{text} {unit}".rstrip()


def format_share(figure: Figure | None) -> str:
    """A share as a percentage with its interval."""
    return format_figure(figure, 100.0, "%", 1)


def _table(title: str, columns: Sequence[str]) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    return table


def alarms_table(scenario: Scenario, figures: dict[str, Figure]) -> Table:
    """Incidents by device kind and event, per day."""
    days = figures["window.days"].mean
    table = _table("Alarms by device and kind (per day)", ["device / event", "per day", "share"])
    total = figures["incidents.count"]
    for kind, device in scenario.devices.items():
        for event in device.events:
            figure = figures.get(f"incidents.{kind}.{event}")
            if figure is None or figure.mean == 0:
                continue
            share = figure.mean / total.mean if total.mean else math.nan
            table.add_row(f"{kind} / {event}", format_figure(figure, 1 / days, digits=2),
                          f"{share:.1%}")
    table.add_row("all incidents", format_figure(figures["incidents.per_day"], digits=2), "")
    return table


def answer_table(figures: dict[str, Figure]) -> Table:
    """Answer times and targets."""
    table = _table("Answer time (message received → operator answers)", ["figure", "value"])
    for key, label in (("answer.mean_s", "mean"), ("answer.p50_s", "median"),
                       ("answer.p90_s", "90th percentile"), ("answer.p99_s", "99th percentile")):
        table.add_row(label, format_figure(figures.get(key), unit="s"))
    table.add_row("waited at all", format_share(figures.get("answer.p_wait")))
    for key in _keys(figures, "answer.within_"):
        table.add_row(f"within {key.removeprefix('answer.within_')}", format_share(figures[key]))
    return table


def staffing_table(scenario: Scenario, figures: dict[str, Figure]) -> Table:
    """Operator utilisation per shift."""
    table = _table("Operators", ["shift", "on duty", "utilisation"])
    for shift in scenario.centre.shifts:
        table.add_row(f"{shift.name} {shift.start}–{shift.end}", str(shift.operators),
                      format_share(figures.get(f"operators.utilisation.{shift.name}")))
    table.add_row("all", "", format_share(figures.get("operators.utilisation.all")))
    return table


def visits_table(figures: dict[str, Figure]) -> Table:
    """Home visits dispatched and their response times."""
    table = _table("Home visits dispatched", ["figure", "value"])
    table.add_row("per day", format_figure(figures.get("visits.per_day"), digits=2))
    table.add_row("response, mean", format_figure(figures.get("visits.response_mean_s"), 1 / 60,
                                                  "min"))
    table.add_row("response, 90th pct", format_figure(figures.get("visits.response_p90_s"),
                                                      1 / 60, "min"))
    table.add_row("waiting for a worker, mean",
                  format_figure(figures.get("visits.wait_for_worker_mean_s"), 1 / 60, "min"))
    for key in _keys(figures, "visits.within_"):
        table.add_row(f"on site within {key.removeprefix('visits.within_')}",
                      format_share(figures[key]))
    return table


def outcomes_table(figures: dict[str, Figure]) -> Table:
    """How incidents ended, per day."""
    days = figures["window.days"].mean
    table = _table("Outcomes (per day)", ["outcome", "per day"])
    for outcome in OUTCOMES:
        table.add_row(outcome.replace("_", " "),
                      format_figure(figures.get(f"outcomes.{outcome}"), 1 / days, digits=2))
    return table


def messages_table(figures: dict[str, Figure]) -> Table:
    """Where messages ended, and the aggregated telemetry volume."""
    days = figures["window.days"].mean
    table = _table("Messages (per day)", ["where", "per day"])
    for place in ("incident", "correlated", "duplicate", "rejected", "info", "aggregated"):
        table.add_row(place, format_figure(figures.get(f"messages.{place}"), 1 / days, digits=1))
    table.add_row("all message volume", format_figure(figures.get("messages.per_day")))
    return table


def _keys(figures: dict[str, Figure], prefix: str) -> Iterable[str]:
    return [key for key in figures if key.startswith(prefix)]


def print_summary(console: Console, scenario: Scenario, figures: dict[str, Figure],
                  warnings: Sequence[str]) -> None:
    """Print every table, then the staffing warnings."""
    console.print(alarms_table(scenario, figures))
    console.print(answer_table(figures))
    console.print(staffing_table(scenario, figures))
    console.print(visits_table(figures))
    console.print(outcomes_table(figures))
    console.print(messages_table(figures))
    print_warnings(console, warnings)


def print_warnings(console: Console, warnings: Sequence[str]) -> None:
    """One line per warning, never wrapped (so that it can be read by scripts too)."""
    for warning in warnings:
        console.print(f"[yellow]warning:[/] {warning}", soft_wrap=True)
