"""The terminal summary of a run: rich tables of the main figures with 95 % intervals, in
Bokmål or English (:mod:`reports.i18n`), readable at 80 columns."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from reports.i18n import (
    TEXT,
    device_name,
    event_name,
    format_number,
    format_seconds,
    text,
)
from reports.i18n import format_share as format_percent
from sim.analysis.aggregate import Figure
from sim.analysis.run_cost import RunCost
from sim.analysis.targets import Target
from sim.benefit.calibration import ExpectedShare
from sim.scenario.durations import parse_duration
from sim.scenario.library import ProfileUse
from sim.scenario.schema import OUTCOMES, Scenario

DAY = 86400.0


def format_figure(figure: Figure | None, scale: float = 1.0, unit: str = "",
                  digits: int = 1, lang: str = "en") -> str:
    """``mean ± half-width unit``, or ``–`` where the figure is undefined.

    Every figure of the summary is a count or a duration, never below zero: where the
    symmetric Student t interval would reach below 0, it is shown by its bounds, clipped,
    ``5,0 (0–13,0) s`` rather than ``5,0 ± 8,0 s`` (docs/metrics.md, "Intervals near a
    bound"; shares: :func:`format_share`)."""
    if figure is None or math.isnan(figure.mean):
        return "–"
    mean, half = figure.mean * scale, figure.ci_half_width * scale
    text_ = format_number(mean, lang, digits)
    if not math.isnan(half):
        if mean - half < 0 <= mean:
            text_ += f" (0–{format_number(mean + half, lang, digits)})"
        else:
            text_ += f" ± {format_number(half, lang, digits)}"
    return f"{text_}\u00a0{unit}" if unit else text_


def format_share(figure: Figure | None, lang: str = "en") -> str:
    """A share as a percentage with its interval; where the Student t interval reaches past
    0 % or 100 % (few alarms), the interval clipped to 0–100 % and written out:
    ``99,6 (99,2–100,0) %``."""
    if figure is None or math.isnan(figure.mean) or math.isnan(figure.ci_half_width):
        return format_figure(figure, 100.0, "%", 1, lang)
    low, high = figure.mean - figure.ci_half_width, figure.mean + figure.ci_half_width
    if low >= 0.0 and high <= 1.0:
        return format_figure(figure, 100.0, "%", 1, lang)
    return (f"{format_number(figure.mean * 100, lang, 1)} ({clipped_percent(low, lang)}"
            f"–{clipped_percent(high, lang)})\u00a0%")


def clipped_percent(share: float, lang: str) -> str:
    """An interval's end as a percentage clipped to 0–100 (``0`` and ``100`` without
    decimals)."""
    if share <= 0.0:
        return "0"
    if share >= 1.0:
        return "100"
    return format_number(share * 100, lang, 1)


def _table(title: str, columns: Sequence[str]) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold", min_width=len(title))
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    return table


def alarms_table(scenario: Scenario, figures: dict[str, Figure], lang: str = "en") -> Table:
    """Incidents by device kind and event, per day."""
    days = figures["window.days"].mean
    table = _table(text(lang, "r_alarms"),
                   [text(lang, k) for k in ("r_device_event", "r_per_day", "r_share")])
    total = figures["incidents.count"]
    for kind, device in scenario.devices.items():
        for event in device.events:
            figure = figures.get(f"incidents.{kind}.{event}")
            if figure is None or figure.mean == 0:
                continue
            share = figure.mean / total.mean if total.mean else math.nan
            table.add_row(f"{device_name(lang, kind)}: {event_name(lang, kind, event)}",
                          format_figure(figure, 1 / days, digits=2, lang=lang),
                          f"{format_number(100 * share, lang, 1)}\u00a0%")
    table.add_row(text(lang, "r_all_incidents"),
                  format_figure(figures["incidents.per_day"], digits=2, lang=lang), "")
    return table


def within_label(key: str, prefix: str, lang: str) -> str:
    """``60 s`` from ``answer.within_60s``."""
    written = key.removeprefix(prefix)
    try:
        return format_seconds(parse_duration(written), lang)
    except ValueError:
        return written


def answer_table(figures: dict[str, Figure], lang: str = "en") -> Table:
    """Answer times and targets."""
    table = _table(text(lang, "r_answer"), [text(lang, "r_figure"), text(lang, "r_value")])
    for key, label in (("answer.mean_s", "r_mean"), ("answer.p50_s", "r_median"),
                       ("answer.p90_s", "r_p90"), ("answer.p99_s", "r_p99")):
        table.add_row(text(lang, label), format_figure(figures.get(key), unit="s", lang=lang))
    table.add_row(text(lang, "r_waited"), format_share(figures.get("answer.p_wait"), lang))
    for key in _keys(figures, "answer.within_"):
        table.add_row(text(lang, "r_within", t=within_label(key, "answer.within_", lang)),
                      format_share(figures[key], lang))
    return table


def staffing_table(scenario: Scenario, figures: dict[str, Figure], lang: str = "en") -> Table:
    """Operator utilisation per shift."""
    table = _table(text(lang, "r_operators"),
                   [text(lang, k) for k in ("r_shift", "r_on_duty", "r_utilisation")])
    for shift in scenario.centre.shifts:
        name = TEXT[lang].get(f"shift_{shift.name}", shift.name)
        table.add_row(f"{name} {shift.start}–{shift.end}", str(shift.operators),
                      format_share(figures.get(f"operators.utilisation.{shift.name}"), lang))
    table.add_row(text(lang, "r_all"), "",
                  format_share(figures.get("operators.utilisation.all"), lang))
    return table


def visits_table(figures: dict[str, Figure], lang: str = "en") -> Table:
    """Home visits dispatched and their response times."""
    table = _table(text(lang, "r_visits"), [text(lang, "r_figure"), text(lang, "r_value")])
    table.add_row(text(lang, "r_per_day"),
                  format_figure(figures.get("visits.per_day"), digits=2, lang=lang))
    for key, label in (("visits.response_mean_s", "r_response_mean"),
                       ("visits.response_p90_s", "r_response_p90"),
                       ("visits.wait_for_worker_mean_s", "r_wait_worker")):
        table.add_row(text(lang, label),
                      format_figure(figures.get(key), 1 / 60, "min", lang=lang))
    for key in _keys(figures, "visits.within_"):
        table.add_row(text(lang, "r_on_site", t=within_label(key, "visits.within_", lang)),
                      format_share(figures[key], lang))
    return table


def outcomes_table(figures: dict[str, Figure], lang: str = "en") -> Table:
    """How incidents ended, per day."""
    days = figures["window.days"].mean
    table = _table(text(lang, "r_outcomes"), [text(lang, "r_outcome"), text(lang, "r_per_day")])
    for outcome in OUTCOMES:
        table.add_row(text(lang, f"o_{outcome}"),
                      format_figure(figures.get(f"outcomes.{outcome}"), 1 / days, digits=2,
                                    lang=lang))
    return table


def messages_table(figures: dict[str, Figure], lang: str = "en") -> Table:
    """Where messages ended, and the aggregated telemetry volume."""
    days = figures["window.days"].mean
    table = _table(text(lang, "r_messages"), [text(lang, "r_where"), text(lang, "r_per_day")])
    for place in ("incident", "correlated", "duplicate", "rejected", "info", "aggregated"):
        table.add_row(text(lang, f"m_{place}"),
                      format_figure(figures.get(f"messages.{place}"), 1 / days, digits=1,
                                    lang=lang))
    table.add_row(text(lang, "m_all"),
                  format_figure(figures.get("messages.per_day"), lang=lang))
    return table


def _keys(figures: dict[str, Figure], prefix: str) -> Iterable[str]:
    return [key for key in figures if key.startswith(prefix)]


def plus_minus_line(scenario: Scenario, replications: int, lang: str = "en") -> str:
    """What "±" means, over how many replications and which window of simulated days."""
    first = scenario.warmup / DAY
    last = scenario.horizon / DAY
    return text(lang, "r_plusminus", n=str(replications),
                first=format_number(first, lang, 0 if first == int(first) else 1),
                last=format_number(last, lang, 0 if last == int(last) else 1))


def print_summary(console: Console, scenario: Scenario, figures: dict[str, Figure],
                  warnings: Sequence[str], lang: str = "en") -> None:
    """Print every table, what "±" means, then the staffing warnings."""
    console.print(alarms_table(scenario, figures, lang))
    console.print(answer_table(figures, lang))
    console.print(staffing_table(scenario, figures, lang))
    console.print(visits_table(figures, lang))
    console.print(outcomes_table(figures, lang))
    console.print(messages_table(figures, lang))
    replications = figures["window.days"].n if "window.days" in figures else 0
    console.print(plus_minus_line(scenario, replications, lang), highlight=False)
    print_warnings(console, warnings, lang)


def profile_note(use: ProfileUse, lang: str) -> str:
    """Where a device kind's settings come from, as ``vtsim check`` says it."""
    if use.implicit:
        where = f"sim/scenario/device_profiles/{use.kind}/{use.profile}.yaml"
        return text(lang, "chk_profile_implicit", kind=use.kind, profile=use.profile,
                    where=where)
    key = "chk_profile_changed" if use.changed else "chk_profile_unchanged"
    return text(lang, key, kind=use.kind, profile=use.profile)


def expected_share_text(found: ExpectedShare, lang: str) -> str:
    """The planned baseline's share of the home service, in the user's language."""
    return text(lang, "chk_benefit", users=format_number(found.users, lang, 0),
                recipients=format_number(found.recipients, lang, 0),
                hours=format_number(found.hours_per_year, lang, 0),
                share=format_percent(round(found.share, 2), lang, 0),
                paid=format_number(found.paid_hours, lang, 0), year=str(found.year))


def print_warnings(console: Console, warnings: Sequence[str], lang: str = "en") -> None:
    """One line per warning, never wrapped (so that it can be read by scripts too)."""
    for warning in warnings:
        console.print(f"[yellow]{text(lang, 'r_warning')}:[/] {escape(warning)}",
                      soft_wrap=True)


def long_run_line(cost: RunCost, lang: str = "en") -> str:
    """The warning for a long horizon or a large run: expected messages, memory and time."""
    return text(lang, "r_long_run", days=format_number(cost.days, lang, 0),
                events=format_number(rounded(cost.events), lang, 0), n=str(cost.replications),
                gb=format_number(cost.memory_bytes / 1e9, lang, 1),
                time=format_wall(cost.wall_s, lang), processes=str(cost.parallel))


def format_wall(seconds: float, lang: str) -> str:
    """``40 s``, ``12 min``, ``3,5 t``."""
    if seconds < 120:
        return f"{format_number(seconds, lang, 0)}\u00a0s"
    if seconds < 2 * 3600:
        return f"{format_number(seconds / 60, lang, 0)}\u00a0min"
    return f"{format_number(seconds / 3600, lang, 1)}\u00a0{'t' if lang == 'nb' else 'h'}"


def rounded(value: float, digits: int = 2) -> float:
    """``value`` to ``digits`` significant digits (an estimate shows no more)."""
    if value <= 0 or math.isnan(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(value)))


def target_text(target: Target, lang: str = "en") -> str:
    """A target as a person writes it: ``svar 98,5 % innen 60 s`` or ``answer 98.5% within
    60s`` (both read back by ``--target``)."""
    if lang != "nb":
        return target.describe()
    kind = "svar" if target.kind == "answer" else "besøk"
    share = format_number(100 * target.share, lang, 0 if (100 * target.share).is_integer() else 1)
    return f"{kind} {share}\u00a0% innen {format_seconds(target.within_s, lang)}"
