"""Break-even values a council can act on: impossible shares and far-off costs are marked so."""

from __future__ import annotations

from typing import Any

import pytest

from reports.benefit.tables import break_even_verdict
from sim.benefit.economics import LEVERS, REALISTIC_FACTOR, reachable, realistic

BY_NAME = {lever.name: lever for lever in LEVERS}


@pytest.mark.parametrize("share", [18.209, 1.0001, -0.01])
def test_a_realised_share_outside_0_to_100_percent_is_impossible(share: float) -> None:
    lever = BY_NAME["gain_scale"]
    assert not reachable(lever, share) and not realistic(lever, share, 1.0)
    assert reachable(lever, 0.6) and realistic(lever, 0.6, 1.0)


@pytest.mark.parametrize(("value", "expected"), [
    (7520.0, False),  # 18 times the scenario's 413 kr
    (413.0 * REALISTIC_FACTOR + 1, False), (413.0 / REALISTIC_FACTOR - 1, False),
    (413.0 * REALISTIC_FACTOR, True), (272.0, True), (900.0, True)])
def test_a_cost_far_from_the_scenarios_value_is_not_realistic(value: float,
                                                               expected: bool) -> None:
    for name in ("hourly_cost", "operator_hourly_cost", "one_off"):
        lever = BY_NAME[name]
        assert reachable(lever, value)
        assert realistic(lever, value, 413.0) is expected, (name, value)


def test_the_table_says_impossible_or_unrealistic() -> None:
    item = {"break_even": 7520.0, "reachable": True, "realistic": False}
    assert break_even_verdict(item) == "no_unrealistic"
    assert break_even_verdict({**item, "reachable": False}) == "no_impossible"
    assert break_even_verdict({**item, "break_even": None}) == "no_impossible"
    assert break_even_verdict({**item, "realistic": True}) == "yes"


def test_device_names_in_a_bokmal_sentence_keep_abbreviations() -> None:
    from reports.benefit.assumptions import in_sentence, profile_name

    name = profile_name({"devices": ["gps_tracker", "safety_alarm"]}, "nb")
    assert name.startswith("brukere med GPS") and "gps" not in name
    assert "trygghetsalarm" in name
    assert in_sentence("Medisindispenser") == "medisindispenser"


def _figure(key: str, value: float, half: float, unit: str) -> tuple[Any, ...]:
    from reports.benefit.tables import Cell
    from reports.i18n import format_number

    return (Cell(key), Cell(format_number(value, "nb", 1), ("metrics", key), value, unit),
            Cell(format_number(half, "nb", 1), ("metrics", key, "ci"), half, unit))


def test_a_value_in_millions_has_its_plus_minus_in_millions_too() -> None:
    from reports.benefit.summary import value_with_ci

    shown = value_with_ci(_figure("net.cash", -83.4e6, 184779.0, "NOK"), "nb")
    assert shown == "-83,4\u00a0mill.\u00a0kr (± 0,2\u00a0mill.\u00a0kr)", shown
    small = value_with_ci(_figure("net.cash", -2.1e6, 3000.0, "NOK"), "en")
    assert "million" in small.split("(")[1]


@pytest.mark.parametrize(("net", "nb", "en"), [
    (-11.0, "men koster 11,0", "but costs 11,0"), (4.0, "og 4,0 (± 0,2) årsverk netto", "and 4,0")])
def test_a_negative_net_is_said_to_cost_arsverk(net: float, nb: str, en: str) -> None:
    from reports.benefit.summary import result
    from reports.benefit.tables import Report, Table

    rows = (_figure("hours.saved.per_year", 5000.0, 10.0, "h"),
            _figure("arsverk.saved", 3.0, 0.1, "arsverk"),
            _figure("arsverk.freed_net", net, 0.2, "arsverk"))
    table = Table("summary", "", (), rows)
    document = {"years": [2026]}
    said = " ".join(result(Report(document, "nb"), [table]))
    assert nb in said and "frigjør 5" in said
    assert "-11,0" not in said
    assert en in " ".join(result(Report(document, "en"), [table]))


def test_spreadsheet_sheets_are_named_in_the_report_language() -> None:
    from openpyxl import Workbook

    from reports.benefit.tables import Cell, Table
    from reports.benefit.xlsx import FIGURES_SHEET, sheet_name, write_sheet

    idents = ("summary", "gains", "cash_flows", "break_even", "assumptions", FIGURES_SHEET)
    nb = [sheet_name(i, "nb") for i in idents]
    assert nb[0] == "Sammendrag" and nb[-1] == "Tallkilder"
    assert not set(idents) & set(nb) and len(set(nb)) == len(nb)
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in nb)
    assert sheet_name("summary", "en") == "summary"
    book, sources = Workbook(), []  # type: ignore[var-annotated]
    table = Table("gains", "t", ("a", "b"), ((Cell("x"), Cell("1", ("metrics", "k"), 1.0, "h")),))
    write_sheet(book, table, sources, "nb")
    assert "Gevinster" in book.sheetnames and sources[0][0] == "Gevinster"


def test_the_model_sheet_shows_the_source_of_each_economic_number() -> None:
    from openpyxl import Workbook

    from reports.benefit.workbook_model import SCALAR_PATHS, SCALARS, SHEETS, write_model
    from tests.unit.test_benefit_workbook import tiny_document

    assert set(SCALAR_PATHS) == set(SCALARS)
    document = tiny_document()
    document["assumptions"].append({"path": "benefit.economics.discount_rate", "value": 0.04,
                                    "source": "Finansdepartementet, rundskriv R-109/2021"})
    book = Workbook()
    write_model(book, document, "nb")
    sheet = book[SHEETS["nb"][0]]
    rows = {r[0].value: r[3].value for r in sheet.iter_rows(min_row=4, max_row=20)}
    assert rows["Kalkulasjonsrente (reell)"] == "Finansdepartementet, rundskriv R-109/2021"
    assert rows["Lisenser og alarmmottak (kr per år)"] == "Antakelse"
