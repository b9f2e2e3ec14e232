"""Follow-up after go-live: the measured-figures CSV (and its errors, naming line and column),
the plan per month from a comparison, planned against realised, and ``vtsim report
--follow-up``."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from reports.benefit.follow_up import follow_up
from reports.benefit.measured import MeasuredError, parse_measured, read_measured
from reports.benefit.outputs import benefit_document
from reports.outputs import write_metrics
from sim.benefit.comparison import run_comparison
from tests.conftest import ROOT
from tests.unit.test_benefit_arithmetic import dispenser_scenario
from vtsim.cli.main import app

EXAMPLE = ROOT / "docs" / "examples" / "lier-2026-measured.csv"
ENGLISH = """month,visits,hours,alarms,answered_60s,costs
2026-02,900,500.5,120,110,70000
2026-01,1000,600,100,95,
"""


def plan_document() -> dict[str, Any]:
    """A comparison of 2026 and 2027 with round annual figures."""
    def year(scale: float) -> dict[str, Any]:
        figures = {"visits.baseline.per_year": 36500.0, "visits.saved.per_year": 3650.0,
                   "hours.baseline.per_year": 18250.0, "hours.saved.per_year": 1825.0,
                   "alarms.per_year": 1460.0, "quality.answer.within_1min": 0.9,
                   "nok.costs.running.per_year": 730000.0}
        return {k: {"mean": v * scale} for k, v in figures.items()}
    return {"years": [2026, 2027], "metrics": {"2026": year(1.0), "2027": year(2.0)}}


def test_english_and_norwegian_files_read_alike() -> None:
    english = parse_measured(ENGLISH, "m.csv")
    assert [m.label for m in english] == ["2026-01", "2026-02"]  # calendar order
    assert english[0].costs is None and english[1].hours == 500.5
    norwegian = parse_measured("\ufeffMåned;Besøk;timer;alarmer;besvart_60s;kostnader\n"
                               "2026-02;900;500,5;120;110;70 000\n", "m.csv")
    assert norwegian[0].hours == 500.5 and norwegian[0].costs == 70000
    shipped = read_measured(EXAMPLE)
    assert len(shipped) == 6 and shipped[-1].costs is None


@pytest.mark.parametrize(("text", "message"), [
    ("", "the file is empty"),
    ("month,visits,walks\n2026-01,1,2\n", r"line 1, column 3: unknown column 'walks'"),
    ("month,visits,besøk\n2026-01,1,2\n", "line 1, column 3: 'besøk' names the column 'visits'"),
    ("visits,hours\n1,2\n", "line 1: no month column"),
    ("month\n2026-01\n", "only a month column"),
    ("month,visits\n", "no months after the header"),
    ("month,visits\n2026-13,5\n", r"line 2, column 'month': expected a month written YYYY-MM"),
    ("month,visits\n26-01,5\n", r"line 2, column 'month'.*found '26-01'"),
    ("month,visits,hours\n2026-01,5,1\n2026-02,4,abc\n",
     r"line 3, column 'hours': expected a number of at least 0, found 'abc'"),
    ("month,visits\n2026-01,-3\n", r"line 2, column 'visits': expected a whole number"),
    ("month,visits\n2026-01,2.5\n", r"line 2, column 'visits': expected a whole number"),
    ("month,hours\n2026-01,nan\n", r"line 2, column 'hours'"),
    ("month,alarms,answered_60s\n2026-01,10,11\n",
     r"line 2, column 'answered_60s': 11 alarms answered within 60 s, more than the 10"),
    ("month,visits,hours\n2026-01,5\n", "line 2: 2 cells, but the header names 3 columns"),
    ("month,visits\n2026-01,5\n\n2026-01,6\n", r"line 4, column 'month': 2026-01 is already on "
                                               "line 2"),
    ("month;visits;hours\n2026-01;5;1.000,5\n", r"line 2, column 'hours'"),
])
def test_malformed_files_name_the_line_and_column(text: str, message: str) -> None:
    with pytest.raises(MeasuredError, match=message):
        parse_measured(text, "measured.csv")


def test_unreadable_file_says_how_to_save_it(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("måned,besøk\n2026-01,5\n".encode("latin-1"))
    with pytest.raises(MeasuredError, match="UTF-8"):
        read_measured(path)


def test_plan_per_month_is_the_year_spread_by_days() -> None:
    months = parse_measured(ENGLISH + "2028-03,1,1,1,1,1\n", "m.csv")
    section = follow_up(plan_document(), months, "m.csv")
    january, february, march_2028 = section["months"]
    assert january["days"] == 31 and february["days"] == 28
    assert january["visits"]["baseline"] == pytest.approx(36500 * 31 / 365)
    assert january["visits"]["planned"] == pytest.approx((36500 - 3650) * 31 / 365)
    assert february["hours"]["saved_planned"] == pytest.approx(1825 * 28 / 365)
    assert january["alarms"]["planned"] == pytest.approx(1460 * 31 / 365)
    assert january["answered_60s"]["planned"] == pytest.approx(0.9 * 1460 * 31 / 365)
    assert february["costs"]["planned"] == pytest.approx(730000 * 28 / 365)
    assert march_2028["plan_year"] == 2027  # past the plan: its last year
    assert march_2028["visits"]["baseline"] == pytest.approx(2 * 36500 * 31 / 365)
    # realised = baseline less measured, and cumulative over the measured months
    assert january["visits"]["saved_realised"] == pytest.approx(36500 * 31 / 365 - 1000)
    assert february["visits"]["cumulative_saved_realised"] == pytest.approx(
        36500 * 59 / 365 - 1900)
    assert february["visits"]["cumulative_saved_planned"] == pytest.approx(3650 * 59 / 365)
    assert february["answered_60s"]["share_measured"] == pytest.approx(110 / 120)
    # January's costs were not measured: the cumulative costs start in February
    assert january["costs"]["cumulative_measured"] is None
    assert february["costs"]["cumulative_planned"] == pytest.approx(730000 * 28 / 365)


def test_months_before_the_plan_are_refused() -> None:
    months = parse_measured("month,visits\n2025-12,5\n", "m.csv")
    with pytest.raises(MeasuredError, match="line 2, column 'month': 2025-12 is before the "
                                            "plan's first year 2026"):
        follow_up(plan_document(), months, "m.csv")


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small comparison's metrics.json in a folder."""
    folder = tmp_path_factory.mktemp("compared")
    source = folder / "tiny.yaml"
    source.write_text("tiny\n")
    scenario = dispenser_scenario()
    comparison = run_comparison(scenario, "tiny", seed=2, replications=2, years=(2026,),
                                workers=1)
    write_metrics(folder / "metrics.json",
                  benefit_document(comparison, scenario, source, 2, "test"))
    return folder


@pytest.mark.parametrize("fmt", ["html", "xlsx", "pdf"])
def test_report_shows_planned_against_realised(compared: Path, fmt: str) -> None:
    measured = compared / f"measured-{fmt}.csv"
    measured.write_text("month,visits,hours\n2026-01,20,10\n2026-02,10,5.5\n")
    result = CliRunner().invoke(app, ["report", str(compared), "--format", fmt, "--lang", "en",
                                      "--follow-up", str(measured)])
    assert result.exit_code == 0, result.output
    section = json.loads((compared / "follow-up.json").read_text())
    assert [m["month"] for m in section["months"]] == ["2026-01", "2026-02"]
    assert section["months"][1]["hours"]["measured"] == 5.5
    report = compared / f"benefit-report.en.{fmt}"
    assert report.stat().st_size > 0
    if fmt == "html":
        page = report.read_text()
        assert "Follow-up: home visits per month" in page and "2026-02" in page
        cells = re.findall(r'data-ref="([^"]*follow_up[^"]*)" data-value="([^"]*)"', page)
        assert len(cells) >= 2 * 2 * 5  # two months, two tables, at least five figures
        for ref, value in cells:
            node: Any = {"follow_up": section}
            for step in json.loads(html.unescape(ref)):
                node = node[step]
            assert float(value) == node
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(report)["follow_up_hours"]
        assert [sheet.cell(row=r, column=3).value for r in (3, 4)] == [10, 5.5]


def test_report_refuses_a_bad_file_with_line_and_column(compared: Path) -> None:
    measured = compared / "bad.csv"
    measured.write_text("month,visits\n2026-01,many\n")
    result = CliRunner().invoke(app, ["report", str(compared), "--follow-up", str(measured)])
    assert result.exit_code == 2
    assert "line 2" in result.output and "'visits'" in result.output


def test_plan_follows_each_technologys_ramp_up() -> None:
    document = plan_document()
    for year in ("2026", "2027"):
        figures = document["metrics"][year]
        scale = figures["visits.saved.per_year"]["mean"] / 3650
        figures["visits.saved.by_device.medicine_dispenser.per_week"] = {
            "mean": 3650 * scale * 7 / 365}
        figures["hours.saved.by_device.medicine_dispenser.per_year"] = {"mean": 1000 * scale}
        figures["hours.saved.by_device.other.per_year"] = {"mean": 825 * scale}
    document["economics"] = {"method": {"first_year": 2026},
                             "ramp_up": {"medicine_dispenser": [0.5, 0.8]}}
    months = parse_measured("month,visits,hours\n2026-01,1,1\n2027-01,1,1\n2028-01,1,1\n", "m")
    first, second, third = follow_up(document, months, "m")["months"]
    part = 31 / 365
    assert first["visits"]["saved_planned"] == pytest.approx(0.5 * 3650 * part)
    assert first["visits"]["effect_share"] == pytest.approx(0.5)
    assert first["hours"]["saved_planned"] == pytest.approx((0.5 * 1000 + 825) * part)
    assert second["visits"]["saved_planned"] == pytest.approx(0.8 * 2 * 3650 * part)
    assert third["visits"]["saved_planned"] == pytest.approx(2 * 3650 * part)  # full effect
    assert third["visits"]["planned"] == pytest.approx((2 * 36500 - 2 * 3650) * part)
