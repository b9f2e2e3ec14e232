"""The spreadsheet's cost–benefit model: live formulas, recomputed by an independent formula
engine (the ``formulas`` package), give the hand-computed cash flow and net present value of a
tiny case; changing an assumption in the sheet changes the result as it should."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from reports.benefit.assumptions import assumption_rows, meaning_of, source_text
from reports.benefit.outputs import assumptions
from reports.benefit.workbook_model import NET_LINES, NPV_FIRST_ROW, SHEETS, Places, write_model
from sim.scenario.loading import load_scenario
from tests.conftest import SCENARIOS

formulas = pytest.importorskip("formulas", reason="the test extra installs formulas")

RATE = 0.10
PERIOD = 3


def figure(mean: float) -> dict[str, Any]:
    """A metrics.json figure with its mean."""
    return {"mean": mean, "ci_half_width": 0.0, "n": 1, "unit": "", "per_replication": [mean]}


def year_figures(e_lock_hours: float, devices: float) -> dict[str, Any]:
    """One simulated year: freed hours by kind, e-locks in use, operator hours on duty."""
    return {"hours.saved.by_device.e_lock.per_year": figure(e_lock_hours),
            "hours.saved.by_device.other.per_year": figure(20.0),
            "devices.e_lock": figure(devices),
            "staff.centre.on_duty_hours.per_year": figure(50.0)}


def tiny_document() -> dict[str, Any]:
    """Two simulated years, a three-year period, one priced device kind with a two-year life,
    a one-off cost in year 1, half of the e-lock's hours cash, 50 % ramp-up in year 0."""
    devices = "benefit.costs.devices.e_lock."
    return {
        "years": [2026, 2027],
        "purposes": {},
        "assumptions": [
            {"path": devices + "rent_per_month", "value": 10.0, "source": "assumption"},
            {"path": devices + "installation", "value": 100.0, "source": "assumption"},
            {"path": devices + "price", "value": 200.0, "source": "assumption"},
            {"path": devices + "lifetime_years", "value": 2, "source": "assumption"},
            {"path": "benefit.costs.licences_per_year", "value": 600.0, "source": "assumption"},
        ],
        "economics": {
            "method": {"first_year": 2026, "period_years": PERIOD, "price_year": 2026,
                       "discount_rate": RATE, "tax_cost": 0.2, "hourly_cost": 500.0,
                       "operator_hourly_cost": 400.0, "centre_share": 0.5, "rota_factor": 1.2,
                       "hours_per_arsverk": 1000.0, "simulated_years": [2026, 2027]},
            "cash_share": {"e_lock": 0.5, "default": 0.0},
            "cash_items": {"rent_saved": 1000.0},
            "ramp_up": {"e_lock": [0.5]},
            "one_off": [{"name": "project", "amount": 3000.0, "year": 1, "labels": {}}],
            "npv": {},
        },
        "metrics": {"2026": year_figures(100.0, 10.0), "2027": year_figures(200.0, 12.0)},
    }


# By hand (t = 0, 1, 2; 2028 uses 2027's figures):
#   freed e-lock hours 100 x 0.5 = 50, 200, 200; other 20 each; cash hours 25, 100, 100
#   e-locks 10, 12, 12 -> new 10, 2, 0; purchase + installation 300 each, life 2 years:
#   investment 3,000, 600, 3,000 (the first 10 again in year 2); residual value of those
#   10 bought again: half a life left -> 1,500 back in the last year
#   rent 120 a year per e-lock; licences 600; centre 50 h x 1.2 x 400 x 0.5 = 12,000
CASH_HOURS = (25.0, 100.0, 100.0)
HAND = {
    "costs.investment": (3000.0, 600.0, 3000.0),
    "costs.residual_value": (0.0, 0.0, -1500.0),
    "costs.one_off": (0.0, 3000.0, 0.0),
    "costs.rent": (1200.0, 1440.0, 1440.0),
    "costs.centre_staff": (12000.0, 12000.0, 12000.0),
    "costs.total": (16800.0, 17640.0, 15540.0),
    "gains.cash": (13500.0, 51000.0, 51000.0),
    "budget.net": (-3300.0, 33360.0, 35460.0),
    "tax_cost": (660.0, -6672.0, -7092.0),
    "net.cash": (-3960.0, 40032.0, 42552.0),
    "capacity.hours": (45.0, 120.0, 120.0),
    "net.with_capacity": (18540.0, 100032.0, 102552.0),
    "arsverk.freed_net": (0.04, 0.19, 0.19),
}


def npv(flows: tuple[float, ...], rate: float) -> float:
    """The net present value by hand: year t discounted by (1 + rate) ** -t."""
    return math.fsum(f / (1.0 + rate) ** t for t, f in enumerate(flows))


def computed(path: Path) -> dict[str, Any]:
    """Every cell of the workbook as the formula engine computes it, by ``SHEET!A1``."""
    solution = formulas.ExcelModel().loads(str(path)).finish().calculate()
    cells = {}
    for key, value in solution.items():
        name = key.split("]", 1)[-1].replace("'", "")
        cells[name.upper()] = value.value[0][0] if hasattr(value, "value") else value
    return cells


def write(tmp_path: Path, lang: str = "nb") -> tuple[Path, Places]:
    """The model sheets of the tiny document, saved."""
    book = Workbook()
    book.remove(book.active)
    places = write_model(book, tiny_document(), lang)
    path = tmp_path / "model.xlsx"
    book.save(path)
    return path, places


def line_values(cells: dict[str, Any], places: Places, line: str, lang: str = "nb") -> list[float]:
    """One cash-flow line, t = 0 … PERIOD − 1."""
    sheet = SHEETS[lang][2].upper()
    row = places.flow_row[line]
    return [float(cells[f"{sheet}!{get_column_letter(2 + t)}{row}"]) for t in range(PERIOD)]


def npv_cell(cells: dict[str, Any], line: str, lang: str = "nb") -> float:
    """The net present value formula's result of a net line."""
    row = NPV_FIRST_ROW + NET_LINES.index(line)
    return float(cells[f"{SHEETS[lang][3].upper()}!B{row}"])


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_the_formulas_give_the_hand_computed_cash_flow_and_npv(tmp_path: Path,
                                                                lang: str) -> None:
    path, places = write(tmp_path, lang)
    cells = computed(path)
    for line, expected in HAND.items():
        assert line_values(cells, places, line, lang) == pytest.approx(expected, abs=1e-9), line
    for line in NET_LINES:
        assert npv_cell(cells, line, lang) == pytest.approx(npv(HAND.get(
            line, HAND["budget.net"]), RATE), rel=1e-12)


def test_the_assumptions_sheet_holds_numbers(tmp_path: Path) -> None:
    path, places = write(tmp_path)
    sheet = load_workbook(path)[SHEETS["nb"][0]]
    for name, row in places.scalar.items():
        assert isinstance(sheet.cell(row=row, column=2).value, int | float), name
    for row in places.price_row.values():
        assert all(isinstance(sheet.cell(row=row, column=c).value, int | float)
                   for c in range(2, 6))
    flows = load_workbook(path)[SHEETS["nb"][2]]
    formulas_in_flow = [c for r in flows.iter_rows() for c in r
                        if isinstance(c.value, str) and c.value.startswith("=")]
    assert len(formulas_in_flow) > 100


def test_changing_an_assumption_in_the_sheet_changes_the_result(tmp_path: Path) -> None:
    """Discount rate 10 % -> 5 % and hourly cost 500 -> 600 kr, edited in the workbook: the
    cash net present value follows (net cash = budget net x (1 + tax cost), and each cash hour
    now saves 100 kr more)."""
    path, places = write(tmp_path)
    book = load_workbook(path)
    sheet = book[SHEETS["nb"][0]]
    sheet.cell(row=places.scalar["discount_rate"], column=2, value=0.05)
    sheet.cell(row=places.scalar["hourly_cost"], column=2, value=600.0)
    book.save(path)
    cells = computed(path)
    expected = tuple(net + hours * 100.0 * 1.2
                     for net, hours in zip(HAND["net.cash"], CASH_HOURS, strict=True))
    assert npv_cell(cells, "net.cash") == pytest.approx(npv(expected, 0.05), rel=1e-12)


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_every_shipped_assumption_has_a_name_and_unit_in_words(lang: str) -> None:
    """Each assumption path of the shipped benefit scenario is named in the report's table of
    meanings (never by its path); its value has no True/False or raw distribution text."""
    items = assumptions(load_scenario(SCENARIOS / "lier-2026.yaml"))
    unknown = [item["path"] for item in items if meaning_of(item["path"]) is None]
    assert unknown == [], f"name these paths in reports/benefit/assumptions.py: {unknown}"
    document = {"assumptions": items, "purposes": {}, "profiles": {}}
    for row in assumption_rows(document, lang):
        assert not re.search(r"[a-z_]\.[a-z_]", row.name), row.name
        assert row.value not in ("True", "False") and "=" not in row.value, row
        assert "_" not in row.value, row


def test_sources_are_shown_in_the_report_language() -> None:
    """A source written per language is shown in the report's; Lier's Bokmål report has no
    English reasons in its source column."""
    assert source_text({"nb": "antakelse: fast", "en": "antakelse: fixed"}, "en") == (
        "Assumption: fixed")
    assert source_text({"en": "DFØ (2023)"}, "nb") == "DFØ (2023)"
    document = {"assumptions": assumptions(load_scenario(SCENARIOS / "lier-2026.yaml")),
                "purposes": {}, "profiles": {}}
    english = re.compile(r"\b(the|visits|employee|travel|shift|hours|assumption|users?)\b")
    for row in assumption_rows(document, "nb"):
        assert not english.search(row.source), row
