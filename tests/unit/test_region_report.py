"""The shared centre's report: Bokmål and English, HTML and spreadsheet, from metrics.json."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from reports.region_report import (
    RegionReportError,
    render_region_html,
    report_tables,
    share_cell,
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
    assert "Kostnadsdeling (tusen kroner per år)" in nb and "per alarm" in nb
    assert "<td class=\"n\">750 ± 10</td>" in nb and "<td class=\"n\">1\u00a0600</td>" in nb
    assert "Cost sharing (NOK thousand a year)" in en and "<td class=\"n\">1,600</td>" in en
    assert "Gain per alarm" in en
    assert "98,1\u00a0%" in nb and "98.1\u00a0%" in en
    assert "Besvart innen 60\u00a0s" in nb and "Answered within 60\u00a0s" in en


def test_spreadsheet_has_a_sheet_per_table(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    write_region_xlsx(DOCUMENT, "en", path)
    book = load_workbook(path)
    assert book.sheetnames == [t.title[:31] for t in report_tables(DOCUMENT, "en")]
    rows = list(book[book.sheetnames[1]].values)
    assert rows[2] == ("Figure", "a", "a ± 95 % CI", "b", "b ± 95 % CI", "Total",
                       "Total ± 95 % CI")
    share_of_a = next(r for r in rows if r[0] == "Share per alarm")
    assert share_of_a[1:5] == (750.0, 10.0, 250.0, 10.0)  # NOK thousand, numbers not text
    members = book[book.sheetnames[0]]
    answered = next(r for r in members.iter_rows(min_row=4) if "within" in str(r[0].value))
    assert answered[1].value == pytest.approx(0.981) and answered[1].number_format == "0.0%"


def test_share_intervals_never_pass_100_percent() -> None:
    assert share_cell(0.981, 0.004, "en") == "98.1\u00a0% ± 0.4"
    assert share_cell(0.996, 0.008, "nb") == "99,6\u00a0% (98,8–100,0\u00a0%)"
    assert share_cell(0.003, 0.005, "en") == "0.3\u00a0% (0.0–0.8\u00a0%)"
    assert share_cell(1.0, 0.0, "en") == "100\u00a0%"


def test_bokmaal_report_has_no_english_headings() -> None:
    nb = render_region_html(DOCUMENT, "nb")
    for english in ("Answered", "Figure", "Total", "Cost", "Share ", "Gain", "Region<"):
        assert english not in nb, english


def test_a_run_without_members_is_refused() -> None:
    with pytest.raises(RegionReportError, match="not a region run"):
        render_region_html({"metrics": {"answer.mean_s": figure(1.0)}}, "en")


def test_pdf_is_written(tmp_path: Path) -> None:
    from reports.region_report import write_region_pdf

    path = tmp_path / "r.pdf"
    write_region_pdf(DOCUMENT, "nb", path)
    assert path.read_bytes().startswith(b"%PDF")


def test_models_table_shows_the_net_present_value_where_a_member_has_one() -> None:
    document = {**DOCUMENT, "metrics": {
        **DOCUMENT["metrics"],  # type: ignore[dict-item]
        "models.a.own.cost": figure(800_000.0),
        "models.a.shared.cost": figure(750_000.0, 10_000.0),
        "models.a.own.npv_2026_2035": figure(-8_096_000.0),
        "models.a.shared_vs_own.npv_2026_2035": figure(506_000.0, 84_000.0),
    }}
    nb = render_region_html(document, "nb")
    assert "Netto nåverdi 2026–2035 (tusen kr)" in nb and "<td class=\"n\">-8\u00a0096</td>" in nb
    assert "<td class=\"n\">506 ± 84</td>" in nb and "gevinstanalyse" in nb
    assert "Net present value 2026–2035" in render_region_html(document, "en")
    assert "nåverdi" not in render_region_html(DOCUMENT, "nb")
