"""Charts of the benefit report (matplotlib), drawn from the cells of the report's tables.

A chart never computes a figure of its own: it plots cells of a table (and remembers them in
:attr:`Chart.cells`), so the numbers in a chart equal those in the table beside it.

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
from matplotlib.ticker import FuncFormatter

from reports.benefit.tables import Cell, Report, Table, build_tables, table_by_id
from reports.i18n import format_number, format_seconds
from sim.benefit.gains import ANSWER_BINS

BLUE, ORANGE, GREEN, GREY, RED = "#1f5f99", "#d9822b", "#3a8a4f", "#7f7f7f", "#b03a2e"
SIZE = (7.5, 3.8)
MILLION = 1e6
METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
"""matplotlib's RDF block (namespaces only, nothing loaded); left out of the inline SVG."""


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart of the report: its id, title, figure and every table cell it plots."""

    ident: str
    title: str
    figure: Figure
    cells: tuple[Cell, ...]
    table: str
    """The id of the table whose cells it plots (it is shown beside that table)."""


Builder = Callable[[Report, list[Table]], tuple[Figure, tuple[Cell, ...]]]


def build_charts(document: dict[str, Any], lang: str,
                 tables: list[Table] | None = None) -> list[Chart]:
    """Every chart of the report, in report order, each drawn from cells of the tables."""
    r = Report(document, lang)
    tables = build_tables(document, lang) if tables is None else tables
    present = {t.ident for t in tables}
    builders: list[tuple[str, str, str, Builder]] = [
        ("cash_flows", "c_cash_flows", "cash_flows", cash_flow_chart),
        ("visits_by_device", "c_devices", "devices", devices_chart),
        ("answer_time", "c_answer", "answer_time", answer_time_chart),
        ("hourly_load", "c_load", "load", hourly_load_chart),
        ("tornado", "c_tornado", "sensitivity", tornado_chart),
        ("ranking", "c_ranking", "ranking", ranking_chart),
    ]
    charts = []
    for ident, title, table, build in builders:
        if table in present:
            figure, cells = build(r, tables)
            charts.append(Chart(ident, r.t(title), figure, cells, table))
    return charts


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


def values(cells: list[Cell]) -> np.ndarray:
    """The numbers of cells (NaN where undefined)."""
    return np.asarray([np.nan if c.value is None else c.value for c in cells], dtype=float)


def column(table: Table, index: int) -> list[Cell]:
    """One column of a table's rows."""
    return [row[index] for row in table.rows]


def answer_time_chart(r: Report, tables: list[Table]) -> tuple[Figure, tuple[Cell, ...]]:
    """Share of alarms per answer-time bin (the answer-time table), targets marked."""
    table = table_by_id(tables, "answer_time")
    share, half = column(table, 1), column(table, 2)
    fig, ax = _figure(SIZE)
    x = np.arange(len(share))
    ax.bar(x, values(share) * 100, yerr=values(half) * 100, color=BLUE, capsize=3)
    ax.set_xticks(x, [row[0].text for row in table.rows], fontsize=7)
    edges = list(ANSWER_BINS)
    for target in r.doc["targets"]["answer_within_s"]:
        if target in edges:
            position = edges.index(target) - 0.5
            ax.axvline(position, color=RED, linestyle="--", linewidth=1)
            ax.text(position + 0.05, ax.get_ylim()[1] * 0.92,
                    r.t("c_target", t=format_seconds(target, r.lang)), color=RED, fontsize=8)
    ax.set_xlabel(r.t("c_answer_x"))
    ax.set_ylabel(r.t("c_answer_y"))
    _percent_axis(ax, r.lang)
    return _finish(fig, ax), (*share, *half)


def hourly_load_chart(r: Report, tables: list[Table]) -> tuple[Figure, tuple[Cell, ...]]:
    """Operators busy per hour of the day against operators on duty (the load table)."""
    table = table_by_id(tables, "load")
    busy_cells, half_cells, duty_cells = column(table, 1), column(table, 2), column(table, 3)
    busy, half, duty = values(busy_cells), values(half_cells), values(duty_cells)
    fig, ax = _figure(SIZE)
    x = np.arange(len(busy))
    ax.bar(x, busy, yerr=half, color=BLUE, capsize=2, label=r.t("c_busy"))
    ax.step(np.append(x, len(x)) - 0.5, np.append(duty, duty[-1]), where="post", color=ORANGE,
            linewidth=2, label=r.t("c_on_duty"))
    ax.set_xticks(x, [f"{h:02d}" for h in range(len(x))], fontsize=8)
    ax.set_xlabel(r.t("c_load_x"))
    ax.set_ylabel(r.t("c_load_y"))
    ax.set_ylim(0, max(float(np.nanmax(duty)), float(np.nanmax(busy + half))) * 1.25)
    ax.legend(fontsize=8, loc="upper left", ncols=2)
    _number_axis(ax, r.lang, "y", 1)
    return _finish(fig, ax), (*busy_cells, *half_cells, *duty_cells)


def devices_chart(r: Report, tables: list[Table]) -> tuple[Figure, tuple[Cell, ...]]:
    """Visits saved per week by device kind (the devices table's saved column)."""
    table = table_by_id(tables, "devices")
    saved, half = column(table, 3), column(table, 4)
    mean = values(saved)
    fig, ax = _figure(SIZE)
    y = np.arange(len(saved))
    colours = [GREEN if m >= 0 else RED for m in mean]
    ax.barh(y, mean, xerr=values(half), color=colours, capsize=3)
    ax.set_yticks(y, [row[0].text for row in table.rows], fontsize=8)
    ax.axvline(0, color=GREY, linewidth=0.8)
    ax.set_xlabel(r.t("c_devices_x"))
    for yi, cell in zip(y, saved, strict=True):
        ax.text(cell.value or 0.0, yi, f" {cell.text}", va="center", fontsize=8)
    _number_axis(ax, r.lang, "x", 0)
    return _finish(fig, ax), (*saved, *half)


def cash_flow_chart(r: Report, tables: list[Table]) -> tuple[Figure, tuple[Cell, ...]]:
    """Costs and cash gains per year as bars, the net cash effect (and the net with freed
    capacity, dashed) as lines: the rows of the cash-flow table, in million kroner."""
    table = table_by_id(tables, "cash_flows")
    rows = {row[1].ref[3]: list(row[1:]) for row in table.rows}
    costs, gains, net = rows["costs.total"], rows["gains.cash"], rows["net.cash"]
    with_capacity = rows.get("net.with_capacity", [])
    years = list(table.columns[1:])
    fig, ax = _figure(SIZE)
    x = np.arange(len(years))
    ax.bar(x - 0.2, -values(costs) / MILLION, 0.4, color=ORANGE,
           label=r.t("cf_costs.total") + " (−)")
    ax.bar(x + 0.2, values(gains) / MILLION, 0.4, color=GREEN, label=r.t("cf_gains.cash"))
    ax.plot(x, values(net) / MILLION, color=BLUE, marker="o", label=r.t("cf_net.cash"))
    if with_capacity:
        ax.plot(x, values(with_capacity) / MILLION, color=GREY, marker=".", linestyle="--",
                label=r.t("cf_net.with_capacity"))
    ax.set_xticks(x, years, fontsize=8)
    ax.set_ylabel(r.t("c_yearly_y"))
    ax.axhline(0, color=GREY, linewidth=0.8)
    ax.legend(fontsize=7, loc="best")
    _number_axis(ax, r.lang, "y", 0)
    return _finish(fig, ax), (*costs, *gains, *net, *with_capacity)


def tornado_chart(r: Report, tables: list[Table]) -> tuple[Figure, tuple[Cell, ...]]:
    """The result at each assumption's low and high value (the sensitivity table), widest
    swing on top."""
    table = table_by_id(tables, "sensitivity")
    base_cell = table.rows[0][3]
    items = table.rows[1:]
    base = (base_cell.value or 0.0) / MILLION
    lows = values([row[3] for row in items]) / MILLION
    highs = values([row[4] for row in items]) / MILLION
    order = sorted(range(len(items)), key=lambda i: abs(highs[i] - lows[i]))
    fig, ax = _figure((SIZE[0], 0.45 * len(items) + 1.4))
    for row, i in enumerate(order):
        ax.barh(row, lows[i] - base, left=base, color=ORANGE, height=0.6,
                label=r.t("low") if row == 0 else None)
        ax.barh(row, highs[i] - base, left=base, color=BLUE, height=0.6,
                label=r.t("high") if row == 0 else None)
    ax.set_yticks(range(len(order)), [items[i][0].text for i in order], fontsize=8)
    ax.axvline(base, color=GREY, linewidth=1)
    ax.set_xlabel(f"{r.t('c_tornado_x')} ({r.t('c_base')}: "
                  f"{format_number(base, r.lang, 1)})")
    ax.legend(fontsize=8, loc="lower right")
    _number_axis(ax, r.lang, "x", 0)
    return _finish(fig, ax), (base_cell, *(row[3] for row in items), *(row[4] for row in items))


def ranking_chart(r: Report, tables: list[Table]) -> tuple[Figure, tuple[Cell, ...]]:
    """Total Sobol' index of each assumption with its interval (the ranking table), largest on
    top."""
    table = table_by_id(tables, "ranking")
    total, half = column(table, 1), column(table, 2)
    fig, ax = _figure((SIZE[0], 0.4 * len(total) + 1.3))
    y = np.arange(len(total))[::-1]
    ax.barh(y, values(total), xerr=values(half), color=BLUE, capsize=3)
    ax.set_yticks(y, [row[0].text for row in table.rows], fontsize=8)
    ax.set_xlabel(r.t("c_ranking_x"))
    ax.axvline(0, color=GREY, linewidth=0.8)
    _number_axis(ax, r.lang, "x", 1)
    return _finish(fig, ax), (*total, *half)


def _number_axis(ax: Any, lang: str, axis: str, decimals: int) -> None:
    """Tick labels in the report's number format (decimal comma in Bokmål)."""
    formatter = FuncFormatter(lambda v, _pos: format_number(v, lang, decimals))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def _percent_axis(ax: Any, lang: str) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: format_number(v, lang, 0)))


def _figure(size: tuple[float, float]) -> tuple[Figure, Any]:
    """A figure with one axes, outside pyplot (no global figure registry)."""
    fig = Figure(figsize=size)
    return fig, fig.subplots()


def _finish(fig: Figure, ax: Any) -> Figure:
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig
