"""Charts of the benefit report (matplotlib), from ``metrics.json`` only.

Each chart is rendered as SVG (inline in the HTML: text stays text, no fonts or scripts are
loaded) and as PNG (for the PDF). Output is deterministic: no dates in the metadata, and a fixed
id salt per chart so that several SVGs in one page never share an element id.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from reports.benefit.tables import Report, device_kinds
from reports.i18n import format_number, label
from sim.benefit.gains import ANSWER_BINS, answer_bin_names
from sim.scenario.durations import format_duration

BLUE, ORANGE, GREEN, GREY, RED = "#1f5f99", "#d9822b", "#3a8a4f", "#7f7f7f", "#b03a2e"
SIZE = (7.5, 3.8)
MILLION = 1e6
METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
"""matplotlib's RDF block (namespaces only, nothing loaded); left out of the inline SVG."""


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart of the report: its id, title and figure."""

    ident: str
    title: str
    figure: Figure


def build_charts(document: dict[str, Any], lang: str) -> list[Chart]:
    """Every chart of the report, in report order."""
    r = Report(document, lang)
    builders: list[tuple[str, str, Callable[[Report], Figure]]] = [
        ("answer_time", "c_answer", answer_time_chart),
        ("hourly_load", "c_load", hourly_load_chart),
        ("visits_by_device", "c_devices", devices_chart),
        ("yearly_gain", "c_yearly", yearly_chart),
    ]
    if document["sensitivity"]:
        builders.append(("tornado", "c_tornado", tornado_chart))
    return [Chart(ident, r.t(title), build(r)) for ident, title, build in builders]


def to_svg(chart: Chart) -> str:
    """The chart as an SVG element (without the XML prolog), for inlining."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"vtsim-{chart.ident}"}):
        chart.figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    svg = buffer.getvalue()
    return METADATA.sub("", svg[svg.index("<svg"):])


def to_png(chart: Chart, dpi: int = 150) -> bytes:
    """The chart as PNG bytes."""
    buffer = io.BytesIO()
    chart.figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def close_charts(charts: list[Chart]) -> None:
    """Free the figures (they belong to no pyplot state; dropping them is enough)."""
    for chart in charts:
        chart.figure.clear()


def _means(r: Report, keys: list[str], year: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Means and CI half-widths of keys (NaN for undefined)."""
    figs = [r.figure(k, year) for k in keys]
    mean = np.asarray([np.nan if f["mean"] is None else f["mean"] for f in figs], dtype=float)
    half = np.asarray([0.0 if f["ci_half_width"] is None else f["ci_half_width"] for f in figs],
                      dtype=float)
    return mean, half


def answer_time_chart(r: Report) -> Figure:
    """Share of alarms per answer-time bin, with the targets marked."""
    names = answer_bin_names()
    mean, half = _means(r, [f"answer.hist.{n}" for n in names])
    fig, ax = _figure(SIZE)
    x = np.arange(len(names))
    ax.bar(x, mean * 100, yerr=half * 100, color=BLUE, capsize=3)
    ticks = [n.replace("_up", "+").replace("_", "–") for n in names]
    ax.set_xticks(x, ticks, fontsize=8)
    edges = list(ANSWER_BINS)
    for target in r.doc["targets"]["answer_within_s"]:
        if target in edges:
            position = edges.index(target) - 0.5
            ax.axvline(position, color=RED, linestyle="--", linewidth=1)
            ax.text(position + 0.05, ax.get_ylim()[1] * 0.92,
                    r.t("c_target", t=format_duration(target)), color=RED, fontsize=8)
    ax.set_xlabel(r.t("c_answer_x"))
    ax.set_ylabel(r.t("c_answer_y") + " (%)")
    return _finish(fig, ax)


def hourly_load_chart(r: Report) -> Figure:
    """Mean operators busy per hour of the day against operators on duty."""
    hours = [f"{h:02d}" for h in range(24)]
    busy, half = _means(r, [f"load.hour_{h}" for h in hours])
    duty, _ = _means(r, [f"staffing.hour_{h}" for h in hours])
    fig, ax = _figure(SIZE)
    x = np.arange(24)
    ax.bar(x, busy, yerr=half, color=BLUE, capsize=2, label=r.t("c_busy"))
    ax.step(np.append(x, 24) - 0.5, np.append(duty, duty[-1]), where="post", color=ORANGE,
            linewidth=2, label=r.t("c_on_duty"))
    ax.set_xticks(x, hours, fontsize=8)
    ax.set_xlabel(r.t("c_load_x"))
    ax.set_ylabel(r.t("c_load_y"))
    ax.set_ylim(0, max(float(np.nanmax(duty)), float(np.nanmax(busy + half))) * 1.15)
    ax.legend(fontsize=8, loc="upper left")
    return _finish(fig, ax)


def devices_chart(r: Report) -> Figure:
    """Visits saved per week by device kind, with confidence intervals."""
    kinds = device_kinds(r)
    mean, half = _means(r, [f"visits.saved.by_device.{k}.per_week" for k in kinds])
    fig, ax = _figure(SIZE)
    y = np.arange(len(kinds))
    colours = [GREEN if m >= 0 else RED for m in mean]
    ax.barh(y, mean, xerr=half, color=colours, capsize=3)
    ax.set_yticks(y, [label(r.lang, k) for k in kinds], fontsize=8)
    ax.axvline(0, color=GREY, linewidth=0.8)
    ax.set_xlabel(r.t("c_devices_x"))
    for yi, m in zip(y, mean, strict=True):
        ax.text(m, yi, f" {format_number(m, r.lang, 0)}", va="center", fontsize=8)
    return _finish(fig, ax)


def yearly_chart(r: Report) -> Figure:
    """Avoided costs, running and one-off costs, and net gain per year (million NOK)."""
    years = r.years
    avoided = np.asarray([_means(r, ["nok.avoided.per_year"], y)[0][0] for y in years])
    running = np.asarray([_means(r, ["nok.costs.running.per_year"], y)[0][0] for y in years])
    one_off = np.asarray([_means(r, ["nok.costs.one_off_in_year"], y)[0][0] for y in years])
    net = avoided - running - one_off
    fig, ax = _figure(SIZE)
    x = np.arange(len(years))
    ax.bar(x - 0.2, avoided / MILLION, 0.4, color=GREEN, label=r.t("avoided"))
    ax.bar(x + 0.2, running / MILLION, 0.4, color=ORANGE, label=r.t("running"))
    ax.bar(x + 0.2, one_off / MILLION, 0.4, bottom=running / MILLION, color=RED,
           label=r.t("one_off_in_year"))
    ax.plot(x, net / MILLION, color=BLUE, marker="o", label=r.t("net"))
    ax.set_xticks(x, years)
    ax.set_ylabel(r.t("c_yearly_y"))
    ax.axhline(0, color=GREY, linewidth=0.8)
    ax.legend(fontsize=8, loc="upper left")
    return _finish(fig, ax)


def tornado_chart(r: Report) -> Figure:
    """Net gain per year at each assumption's low and high value, widest swing on top."""
    items = r.doc["sensitivity"]
    base = _means(r, ["nok.net.per_year"])[0][0] / MILLION
    lows = [_means(r, [f"sensitivity.{i['n']}.low"])[0][0] / MILLION for i in items]
    highs = [_means(r, [f"sensitivity.{i['n']}.high"])[0][0] / MILLION for i in items]
    order = sorted(range(len(items)), key=lambda i: abs(highs[i] - lows[i]))
    fig, ax = _figure((SIZE[0], 0.45 * len(items) + 1.2))
    for row, i in enumerate(order):
        ax.barh(row, lows[i] - base, left=base, color=ORANGE, height=0.6,
                label=r.t("low") if row == 0 else None)
        ax.barh(row, highs[i] - base, left=base, color=BLUE, height=0.6,
                label=r.t("high") if row == 0 else None)
    ax.set_yticks(range(len(order)),
                  [items[i]["labels"].get(r.lang) or items[i]["path"] for i in order],
                  fontsize=8)
    ax.axvline(base, color=GREY, linewidth=1)
    ax.set_xlabel(r.t("c_tornado_x") + f" ({r.t('c_base')}: {format_number(base, r.lang, 1)})")
    ax.legend(fontsize=8, loc="lower right")
    return _finish(fig, ax)


def _figure(size: tuple[float, float]) -> tuple[Figure, Any]:
    """A figure with one axes, outside pyplot (no global figure registry)."""
    fig = Figure(figsize=size)
    return fig, fig.subplots()


def _finish(fig: Figure, ax: Any) -> Figure:
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig
