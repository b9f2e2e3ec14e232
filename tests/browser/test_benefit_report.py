"""`vtsim compare` and `vtsim report`: every figure in the HTML, the spreadsheet and the PDF
comes from metrics.json; the report opens in headless Chromium without console errors."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

from reports.benefit.assumptions import assumption_rows, assumption_unit
from reports.benefit.charts import build_charts, close_charts
from reports.benefit.doc import render_benefit_doc
from reports.benefit.outputs import benefit_unit
from reports.benefit.summary import page_one
from reports.benefit.tables import PLUS_MINUS, build_tables, resolve
from reports.benefit.workbook_model import NET_LINES, NPV_FIRST_ROW, SHEETS
from reports.benefit.xlsx import FIGURES_SHEET, excel_number, sheet_name
from reports.i18n import format_number, format_value, text
from tests.conftest import ROOT, SCENARIOS
from vtsim.cli.main import app

CHARTS = ("cash_flows", "answer_time", "hourly_load", "visits_by_device", "tornado", "ranking")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Lier compared over two years with two replications, and every report written."""
    out = tmp_path_factory.mktemp("lier-gain")
    runner = CliRunner()
    result = runner.invoke(app, ["compare", str(SCENARIOS / "lier-2026.yaml"),
                                 "--replications", "2", "--years", "2026-2027", "--psa-samples",
                                 "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for lang in ("nb", "en"):
        for fmt in ("html", "xlsx", "pdf"):
            written = runner.invoke(app, ["report", str(out), "--lang", lang, "--format", fmt])
            assert written.exit_code == 0, written.output
    return out


def metrics(directory: Path) -> dict[str, Any]:
    """The comparison's metrics.json."""
    return dict(json.loads((directory / "metrics.json").read_text(encoding="utf-8")))


class FigureCells(HTMLParser):
    """Collects the figure cells (``data-ref``) of a page with their text."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict[str, str]] = []
        self._open: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "td" and "data-ref" in found:
            self._open = {**found, "text": ""}

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._open is not None:
            self.cells.append(self._open)
            self._open = None


def shown(value: float | None, unit: str, stat: str, lang: str) -> str:
    """How the report must show a statistic of a figure."""
    text = format_value(value, unit, lang)
    return PLUS_MINUS + text if stat == "ci_half_width" and value is not None else text


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_every_html_figure_equals_metrics_json(compared: Path, lang: str) -> None:
    document = metrics(compared)
    page = (compared / f"benefit-report.{lang}.html").read_text(encoding="utf-8")
    parser = FigureCells()
    parser.feed(page)
    assert len(parser.cells) > 100
    for cell in parser.cells:
        ref = json.loads(cell["data-ref"])
        value = resolve(document, tuple(ref))
        assert cell["data-value"] == ("" if value is None else repr(value)), cell
        if ref[0] == "metrics":
            unit = resolve(document, tuple(ref[:-1]))["unit"]
            assert cell["text"] == shown(value, unit, ref[-1], lang), cell
    years = {json.loads(c["data-ref"])[1] for c in parser.cells
             if json.loads(c["data-ref"])[0] == "metrics"}
    assert years == {"2026", "2027"}


def test_html_is_self_contained_with_every_chart(compared: Path) -> None:
    page = (compared / "benefit-report.nb.html").read_text(encoding="utf-8")
    for external in ("<script", "@font-face", "@import", 'src="http', 'href="http', "url(http",
                     "<link", "<metadata"):
        assert external not in page, external
    for chart in CHARTS:
        assert f'id="chart-{chart}"' in page
    for word in ("Gevinstrealisering", "årsverk", "responssenter", "Trygghetsalarm", "E-lås",
                 "Medisindispenser", "Digitalt tilsyn", "hjemmetjenesten", "\u00a0kr"):
        assert word in page, word


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_every_spreadsheet_figure_equals_metrics_json(compared: Path, lang: str) -> None:
    document = metrics(compared)
    book = load_workbook(compared / f"benefit-report.{lang}.xlsx")
    rows = list(book[sheet_name(FIGURES_SHEET, lang)].iter_rows(min_row=2, values_only=True))
    assert len(rows) > 100
    for sheet, cell, ref in rows:
        expected = resolve(document, tuple(json.loads(ref)))
        assert book[sheet][cell].value == excel_number(expected), (sheet, cell, ref)


def test_pdf_reports_are_written(compared: Path) -> None:
    for lang in ("nb", "en"):
        data = (compared / f"benefit-report.{lang}.pdf").read_bytes()
        assert data.startswith(b"%PDF") and data.count(b"/Type /Page\n") + data.count(
            b"/Type /Page ") + data.count(b"/Type /Page>") >= 3


def test_metrics_json_keys_are_documented_and_gains_are_arm_differences(compared: Path) -> None:
    document = metrics(compared)
    assert document["schema"] == "vtsim.benefit/1"
    for year, figures in document["metrics"].items():
        for key, figure in figures.items():
            assert benefit_unit(key), f"{year}: undocumented key {key}"
            assert figure["n"] >= 1 or figure["mean"] is None, (year, key)
        for i in range(document["replications"]):
            base = figures["visits.baseline.per_week"]["per_replication"][i]
            tech = figures["visits.technology.per_week"]["per_replication"][i]
            saved = figures["visits.saved.per_week"]["per_replication"][i]
            assert saved == pytest.approx(base - tech, abs=1e-6)


def test_benefit_metrics_reference_is_current() -> None:
    current = (ROOT / "docs" / "benefit-metrics.md").read_text(encoding="utf-8")
    assert current == render_benefit_doc(), (
        "docs/benefit-metrics.md is stale: run "
        "`python -m reports.benefit.doc > docs/benefit-metrics.md`")


def test_report_writes_where_asked_and_refuses_other_folders(compared: Path,
                                                            tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "sub" / "report.html"
    result = runner.invoke(app, ["report", str(compared), "--output", str(target)])
    assert result.exit_code == 0 and target.exists()
    empty = runner.invoke(app, ["report", str(tmp_path)])
    assert empty.exit_code == 2 and "vtsim compare" in empty.output
    run_output = tmp_path / "a-run"
    run_output.mkdir()
    (run_output / "metrics.json").write_text('{"schema": "vtsim.metrics/1"}', encoding="utf-8")
    not_compared = runner.invoke(app, ["report", str(run_output)])
    assert not_compared.exit_code == 2
    assert "is not a comparison (schema 'vtsim.metrics/1'); run `vtsim compare`" in " ".join(
        not_compared.output.split())


def test_compare_without_benefit_section_fails_clearly(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["compare", str(SCENARIOS / "checks" / "erlang-c.yaml"),
                                      "--replications", "1", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "benefit" in result.output


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed "
                    "(apt-get install chromium chromium-driver; .ci/run does this)")
@pytest.mark.parametrize("lang", ["nb", "en"])
def test_report_opens_in_headless_chromium_and_each_chart_is_captured(compared: Path,
                                                                      lang: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    shots = ROOT / "results" / "benefit-charts"
    shots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            page.goto((compared / f"benefit-report.{lang}.html").as_uri())
            for chart in CHARTS:
                element = page.locator(f"#chart-{chart} svg")
                box = element.bounding_box()
                assert box is not None and box["width"] > 200 and box["height"] > 100, chart
                element.screenshot(path=str(shots / f"{lang}-{chart}.png"))
        finally:
            browser.close()
    assert problems == []
    assert all((shots / f"{lang}-{c}.png").stat().st_size > 1000 for c in CHARTS)


class PageText(HTMLParser):
    """The text a reader sees (outside <style>, <svg> and attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "svg"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "svg"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    """The page's visible text, spaces normalised (a non-breaking space is a space)."""
    parser = PageText()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).replace("\u00a0", " ").split())


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_every_chart_plots_cells_of_the_tables(compared: Path, lang: str) -> None:
    document = metrics(compared)
    tables = build_tables(document, lang)
    in_tables = {(c.ref, c.value) for t in tables for row in t.rows for c in row if c.is_figure}
    charts = build_charts(document, lang, tables)
    try:
        assert {c.ident for c in charts} >= set(CHARTS)
        for chart in charts:
            assert len(chart.cells) >= 4, chart.ident
            for cell in chart.cells:
                assert cell.value == resolve(document, cell.ref), (chart.ident, cell)
                assert (cell.ref, cell.value) in in_tables, (chart.ident, cell.ref)
    finally:
        close_charts(charts)


def test_the_net_in_the_chart_is_the_net_in_the_table(compared: Path) -> None:
    """The tornado's base and the sensitivity table's base row are the same cell, and the
    cash-flow chart's net line is the cash-flow table's net line (when the report has one)."""
    document = metrics(compared)
    tables = build_tables(document, "nb")
    charts = build_charts(document, "nb", tables)
    try:
        tornado = next(c for c in charts if c.ident == "tornado")
        base_row = next(t for t in tables if t.ident == "sensitivity").rows[0]
        assert tornado.cells[0] == base_row[3]
        label = tornado.figure.axes[0].get_xlabel()
        assert format_number((base_row[3].value or 0) / 1e6, "nb", 1) in label
        flows = [t for t in tables if t.ident == "cash_flows"]
        if flows:
            net = next(row for row in flows[0].rows if row[1].ref[3] == "net.cash")
            chart = next(c for c in charts if c.ident == "cash_flows")
            assert set(net[1:]) <= set(chart.cells)
            line = chart.figure.axes[0].get_lines()
            plotted = [list(ln.get_ydata()) for ln in line]
            assert [(c.value or 0) / 1e6 for c in net[1:]] in plotted
    finally:
        close_charts(charts)


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_years_shares_and_durations_are_written_as_readers_write_them(compared: Path,
                                                                      lang: str) -> None:
    page = visible_text((compared / f"benefit-report.{lang}.html").read_text(encoding="utf-8"))
    document = metrics(compared)
    years = {int(y) for y in document["years"]} | {
        int(a["value"]) for a in document["assumptions"] if assumption_unit(a["path"]) == "year"}
    for year in years:
        grouped = format_number(year, lang, 0).replace("\u00a0", " ")
        assert grouped not in page and f"{grouped}.00" not in page, grouped
        assert str(year) in page
    rows = assumption_rows(document, lang)
    for row in rows:
        if row.unit == "%" and row.number is not None:
            places = 0 if abs(row.number * 100 - round(row.number * 100)) < 1e-9 else 1
            assert row.value == format_number(row.number * 100, lang, places), row
    assert not re.search(r"\d(s|min)\b", page), "a duration without a space before its unit"
    growth = next(a for a in document["assumptions"] if a["path"] == "growth.rate")
    assert format_number(growth["value"] * 100, lang, 1) + " %" in page
    assert "60 s" in page


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_no_scenario_paths_identifiers_or_booleans_in_the_report(compared: Path,
                                                                  lang: str) -> None:
    page = visible_text((compared / f"benefit-report.{lang}.html").read_text(encoding="utf-8"))
    assert not re.search(r"\b(benefit|growth|devices|centre)\.[a-z_]+", page), "a scenario path"
    assert not re.search(r"\b(True|False|None|nan)\b", page)
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", page), re.findall(r"\b[a-z]+_[a-z_]+\b", page)
    assert "mean=" not in page and "sd=" not in page
    if lang == "nb":
        for jargon in ("seed", "sha256", "assumption", "baseline", "replication", "Yes", "No "):
            assert jargon not in page, jargon
    rows = next(t for t in build_tables(metrics(compared), lang) if t.ident == "assumptions").rows
    assert len(rows) == len(metrics(compared)["assumptions"])
    assert all(row[0].text and row[1].text for row in rows)


def test_inputs_are_not_shown_as_results(compared: Path) -> None:
    """Tables with a confidence interval show simulated results only: counts of users and
    devices, the municipality's plan and prices are inputs (assumptions table)."""
    inputs = re.compile(r"(users\.count|devices\.|staff\.home_care\.plan_arsverk|"
                        r"nok\.costs\.|payback\.)")
    for table in build_tables(metrics(compared), "nb"):
        for row in table.rows:
            for cell in row:
                if cell.is_figure and cell.ref[0] == "metrics":
                    assert not inputs.match(str(cell.ref[2])), (table.ident, cell.ref)


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_page_one_says_what_was_compared_the_result_and_its_limits(compared: Path,
                                                                    lang: str) -> None:
    document = metrics(compared)
    tables = build_tables(document, lang)
    sections = page_one(document, lang, tables)
    assert [s.heading for s in sections] == [text(lang, k) for k in (
        "s_compared", "s_result", "s_depends", "s_excluded")]
    summary = next(t for t in tables if t.ident == "summary")
    said = " ".join(p for s in sections for p in s.paragraphs)
    hours = next(row for row in summary.rows if "hours.saved.per_year" in row[1].ref)
    assert hours[1].text in said and hours[2].text in said
    assert document["scenario"]["name"] in said
    page = (compared / f"benefit-report.{lang}.html").read_text(encoding="utf-8")
    assert page.index('id="page-one"') < page.index('id="table-summary"')


def test_the_spreadsheet_recomputed_independently_equals_metrics_json(compared: Path) -> None:
    """The workbook's live formulas, computed by the `formulas` package (not by Excel, not by
    vtsim), give every cash-flow line and the net present values of metrics.json."""
    engine = pytest.importorskip("formulas", reason="the test extra installs formulas")
    document = metrics(compared)
    path = compared / "benefit-report.nb.xlsx"
    solution = engine.ExcelModel().loads(str(path)).finish().calculate()
    cells = {key.split("]", 1)[-1].replace("'", "").upper(): value.value[0][0]
             for key, value in solution.items() if hasattr(value, "value")}
    economics = document["economics"]
    sheets = [name.upper() for name in SHEETS["nb"]]
    for index, line in enumerate(NET_LINES):
        found = float(cells[f"{sheets[3]}!B{NPV_FIRST_ROW + index}"])
        expected = economics["npv"][line]["mean"]
        assert found == pytest.approx(expected, rel=1e-9, abs=1e-3), line
    book = load_workbook(path)
    flow = book[SHEETS["nb"][2]]
    rows = {flow.cell(row=r, column=1).value: r for r in range(1, flow.max_row + 1)}
    for line, values in economics["cash_flows"]["lines"].items():
        row = rows[text("nb", f"cf_{line}")]
        for t, value in enumerate(values):
            got = float(cells[f"{sheets[2]}!{get_column_letter(2 + t)}{row}"])
            assert got == pytest.approx(value, rel=1e-9, abs=1e-5), (line, t)
