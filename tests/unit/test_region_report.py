"""The shared centre's report: Bokmål and English, HTML and spreadsheet, from metrics.json."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from reports.region_report import (
    RegionReportError,
    render_region_html,
    report_tables,
    write_region_xlsx,
)


def figure(mean: float, half: float = 0.0) -> dict[str, object]:
    return {"mean": mean, "ci_half_width": half, "n": 2, "unit": "", "per_replication": []}


DOCUMENT = {
    "schema": "vtsim.metrics/1",
    "scenario": {"name": "<Region> & co"},
    "metrics": {
        "window.days": figure(7.0),
        "incidents.per_day": figure(200.0, 3.0),
        "answer.within_1min": figure(0.98, 0.005),
        "members.a.incidents.per_day": figure(150.0, 2.0),
        "members.b.incidents.per_day": figure(50.0, 1.0),
        "members.a.answer.within_1min": figure(0.981, 0.004),
        "members.b.answer.within_1min": figure(0.979, 0.006),
        "costs.total": figure(1_000_000.0),
        "costs.own_total": figure(1_600_000.0),
        "gain.region": figure(600_000.0),
        "costs.a.own": figure(800_000.0),
        "costs.b.own": figure(800_000.0),
        "costs.a.alarms": figure(750_000.0, 10_000.0),
        "costs.b.alarms": figure(250_000.0, 10_000.0),
        "gain.a.alarms": figure(50_000.0, 10_000.0),
        "gain.b.alarms": figure(550_000.0, 10_000.0),
    },
}


def test_html_in_both_languages_escapes_and_shows_the_split() -> None:
    nb = render_region_html(DOCUMENT, "nb")
    en = render_region_html(DOCUMENT, "en")
    assert "&lt;Region&gt; &amp; co" in nb and "<Region>" not in nb
    assert "Kostnadsdeling" in nb and "per alarm" in nb and "750\u00a0000\u00a0kr" in nb
    assert "Cost sharing" in en and "NOK\u00a0750,000" in en and "Gain per alarm" in en
    assert "98,1\u00a0%" in nb and "98.1\u00a0%" in en


def test_spreadsheet_has_a_sheet_per_table(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    write_region_xlsx(DOCUMENT, "en", path)
    book = load_workbook(path)
    assert book.sheetnames == [t.title[:31] for t in report_tables(DOCUMENT, "en")]
    rows = list(book[book.sheetnames[1]].values)
    assert rows[2] == ("Figure", "a", "b", "Total")


def test_a_run_without_members_is_refused() -> None:
    with pytest.raises(RegionReportError, match="not a region run"):
        render_region_html({"metrics": {"answer.mean_s": figure(1.0)}}, "en")


def test_pdf_is_written(tmp_path: Path) -> None:
    from reports.region_report import write_region_pdf

    path = tmp_path / "r.pdf"
    write_region_pdf(DOCUMENT, "nb", path)
    assert path.read_bytes().startswith(b"%PDF")
