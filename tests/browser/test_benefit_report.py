"""`vtsim compare` and `vtsim report`: every figure in the HTML, the spreadsheet and the PDF
comes from metrics.json; the report opens in headless Chromium without console errors."""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from reports.benefit.doc import render_benefit_doc
from reports.benefit.outputs import benefit_unit
from reports.benefit.tables import PLUS_MINUS
from reports.benefit.xlsx import excel_number
from reports.i18n import format_value
from tests.conftest import ROOT, SCENARIOS
from vtsim.cli.main import app

CHARTS = ("answer_time", "hourly_load", "visits_by_device", "yearly_gain", "tornado")
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
    """Collects the figure cells (``data-key``) of a page with their text."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict[str, str]] = []
        self._open: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "td" and "data-key" in found:
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
        figure = document["metrics"][cell["data-year"]][cell["data-key"]]
        value = figure[cell["data-stat"]]
        assert cell["data-value"] == ("" if value is None else repr(value)), cell
        assert cell["text"] == shown(value, figure["unit"], cell["data-stat"], lang), cell
    assert {c["data-year"] for c in parser.cells} == {"2026", "2027"}


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
    assert {"summary", "visits", "devices", "hours", "costs", "quality", "years",
            "sensitivity", "assumptions", "run", "figures"} <= set(book.sheetnames)
    rows = list(book["figures"].iter_rows(min_row=2, values_only=True))
    assert len(rows) > 100
    for sheet, cell, key, year, stat in rows:
        expected = document["metrics"][year][key][stat]
        assert book[sheet][cell].value == excel_number(expected), (sheet, cell, key)


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
            assert figure["n"] >= 1
        for i in range(document["replications"]):
            base = figures["visits.baseline.per_week"]["per_replication"][i]
            tech = figures["visits.technology.per_week"]["per_replication"][i]
            saved = figures["visits.saved.per_week"]["per_replication"][i]
            assert saved == pytest.approx(base - tech, abs=1e-6)
    sources = {a["path"]: a["source"] for a in document["assumptions"]}
    assert sources["benefit.costs.hourly_cost"].startswith("seeds 000")


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
