"""The cost–benefit arithmetic (DFØ / R-109) on a case computed by hand: two years, known cash
flows. Every expected number below is worked out in the comments, not by the code under test."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from reports.benefit.outputs import aggregate_benefit, sensitivity_document
from sim.benefit.appraisal import appraise
from sim.benefit.comparison import run_comparison
from sim.benefit.economics import (
    LEVERS,
    Assumptions,
    DevicePrices,
    OneOff,
    YearInputs,
    annualised_value,
    break_even,
    cash_flows,
    device_investment,
    net_present_value,
    payback_years,
)
from tests.unit.test_benefit_arithmetic import dispenser_scenario
from vtsim.cli.main import app

# The case: 2026 and 2027 (period 2 years), kalkulasjonsrente 4 %, skattekostnad 20 %.
# Home-care hour 400 NOK; operator hour 500 NOK, rota factor 1.25, this municipality pays half
# the centre; 1,600 h per årsverk; licences 10,000 NOK a year.
# 10 dispensers: rent 1,200 NOK/yr, price 3,000 + installation 1,000 = 4,000 each, 3-year life.
# One-off: project 50,000 in 2026, training 20,000 in 2027.
# The simulated year (2026, repeated in 2027) frees 1,000 h by the dispensers and 200 h by
# e-locks; 800 operator hours on duty. Half the dispensers' freed hours leave the budget, none
# of the e-locks'; keys no longer bought: 2,000 NOK a year. Dispensers reach half their effect
# in the first year.
CASE = Assumptions(
    first_year=2026, period_years=2, discount_rate=0.04, tax_cost=0.20,
    hourly_cost=400.0, operator_hourly_cost=500.0, rota_factor=1.25, centre_share=0.5,
    hours_per_arsverk=1600.0, licences_per_year=10_000.0,
    devices={"medicine_dispenser": DevicePrices(rent_per_year=1200.0, installation=1000.0,
                                                price=3000.0, lifetime_years=3)},
    one_off=(OneOff("project", 50_000.0, 0), OneOff("training", 20_000.0, 1)),
    cash_share={"medicine_dispenser": 0.5}, cash_share_default=0.0,
    cash_items={"keys": 2_000.0},
    ramp_up={"medicine_dispenser": (0.5,)},
)
SIMULATED = [YearInputs(2026, {"medicine_dispenser": 1000.0, "e_lock": 200.0},
                        {"medicine_dispenser": 10.0}, 800.0)]


def test_the_cash_flow_table_matches_the_hand_computation() -> None:
    table = cash_flows(CASE, SIMULATED)
    assert table.years == (2026, 2027)
    expected = {
        # 10 × 4,000 bought in 2026; replaced in 2029, after the period.
        "costs.investment": (40_000, 0),
        # Bought 2026 with a 3-year life, one third left at the end of 2027: 40,000 / 3.
        "costs.residual_value": (0, -40_000 / 3),
        "costs.one_off": (50_000, 20_000),
        "costs.rent": (12_000, 12_000),
        "costs.licences": (10_000, 10_000),
        # 800 h × 1.25 × 500 NOK × 0.5
        "costs.centre_staff": (250_000, 250_000),
        # 2026: 40,000 + 50,000 + 12,000 + 10,000 + 250,000; 2027: 20,000 + 12,000 + 10,000 +
        # 250,000 − 13,333.33
        "costs.total": (362_000, 292_000 - 40_000 / 3),
        # Dispensers: 1,000 h × 0.5 (ramp-up) × 0.5 (cash) = 250 h × 400 NOK in 2026;
        # 500 h × 400 in 2027.
        "gains.cash.hours": (100_000, 200_000),
        "gains.cash.items": (2_000, 2_000),
        "gains.cash": (102_000, 202_000),
        # 102,000 − 362,000; 202,000 − 278,666.67
        "budget.net": (-260_000, -230_000 / 3),
        # 20 % of the net public spending
        "tax_cost": (52_000, 46_000 / 3),
        # −260,000 − 52,000; −76,666.67 − 15,333.33
        "net.cash": (-312_000, -92_000),
        # Freed 500 + 200 = 700 h in 2026, 1,000 + 200 = 1,200 h in 2027, less the cash hours.
        "capacity.hours": (450, 700),
        "capacity.value": (180_000, 280_000),
        "net.with_capacity": (-132_000, 188_000),
        # 700 / 1,600 and 1,200 / 1,600; centre 800 × 1.25 × 0.5 / 1,600 = 0.3125
        "arsverk.freed_gross": (0.4375, 0.75),
        "arsverk.centre": (0.3125, 0.3125),
        "arsverk.freed_net": (0.125, 0.4375),
        "discount_factor": (1.0, 1 / 1.04),
    }
    for line, values in expected.items():
        assert table.line(line) == pytest.approx(values, rel=1e-12, abs=1e-9), line


def test_net_present_value_annualised_value_and_payback_match_the_hand_computation() -> None:
    table = cash_flows(CASE, SIMULATED)
    rate, years = CASE.discount_rate, CASE.period_years
    # −312,000 − 92,000 / 1.04 = −312,000 − 88,461.538…
    cash = net_present_value(table.line("net.cash"), rate)
    assert cash == pytest.approx(-400_461.538_461_538_4, rel=1e-12)
    # −132,000 + 188,000 / 1.04 = −132,000 + 180,769.230…
    with_capacity = net_present_value(table.line("net.with_capacity"), rate)
    assert with_capacity == pytest.approx(48_769.230_769_230_8, rel=1e-12)
    # −260,000 − 76,666.67 / 1.04
    assert net_present_value(table.line("budget.net"), rate) == pytest.approx(
        -333_717.948_717_948_7, rel=1e-12)
    # Annualised: NPV / (1 + 1/1.04) = NPV × 1.04 / 2.04; with capacity 50,720 / 2.04.
    assert annualised_value(with_capacity, rate, years) == pytest.approx(
        24_862.745_098_039_2, rel=1e-12)
    assert annualised_value(cash, rate, years) == pytest.approx(-416_480 / 2.04, rel=1e-12)
    # Cumulative discounted: −132,000, then +48,769: paid back in the second year.
    assert payback_years(table.line("net.with_capacity"), rate) == 2
    assert payback_years(table.line("net.cash"), rate) is None


def test_break_even_values_match_the_hand_computation() -> None:
    levers = {lever.name: lever for lever in LEVERS}

    def zero_at(name: str, line: str) -> float | None:
        lever = levers[name]
        return break_even(lambda v: net_present_value(
            cash_flows(lever.apply(CASE, v), SIMULATED).line(line), CASE.discount_rate),
            lever.value(CASE, SIMULATED))

    # With h the hourly cost: net.cash = 1.2 × (cash gains − costs) (skattekostnad 20 %), the
    # capacity value comes on top untaxed.
    # 2026: 1.2 (250 h + 2,000 − 362,000) + 450 h = 750 h − 432,000
    # 2027: 1.2 (500 h + 2,000 − 278,666.67) + 700 h = 1,300 h − 332,000
    # 750 h − 432,000 + (1,300 h − 332,000) / 1.04 = 0  →  2,000 h = 432,000 + 319,230.77
    assert zero_at("hourly_cost", "net.with_capacity") == pytest.approx(375.615_384_615_384_6,
                                                                        rel=1e-9)
    # Cash only: 300 h − 432,000 + (600 h − 332,000) / 1.04 = 0  →  h = 781,280 / 912
    assert zero_at("hourly_cost", "net.cash") == pytest.approx(2570 / 3, rel=1e-9)
    # The same cash share s for every technology, with capacity:
    # 2026: 1.2 (280,000 s − 360,000) + 280,000 (1 − s) = 56,000 s − 152,000
    # 2027: 1.2 (480,000 s − 276,666.67) + 480,000 (1 − s) = 96,000 s + 148,000
    # × 1.04: 58,240 s − 158,080 + 96,000 s + 148,000 = 0  →  s = 10,080 / 154,240
    assert zero_at("cash_share", "net.with_capacity") == pytest.approx(10_080 / 154_240,
                                                                       rel=1e-9)
    # Cash only: 336,000 s − 432,000 + (576,000 s − 332,000) / 1.04 = 0  →  s = 781,280 / 925,440
    assert zero_at("cash_share", "net.cash") == pytest.approx(781_280 / 925_440, rel=1e-9)


def test_break_even_is_none_where_the_value_does_not_depend_on_the_assumption() -> None:
    no_cash = replace(CASE, cash_share={}, cash_items={})
    assert break_even(lambda v: net_present_value(cash_flows(
        replace(no_cash, hourly_cost=v), SIMULATED).line("net.cash"), 0.04), 400.0) is None


def test_devices_are_reinvested_at_the_end_of_their_life_and_keep_a_residual_value() -> None:
    # 4 devices of 1,000 with a 2-year life over 5 years, 2 more from the third year:
    # bought in years 0, 2, 4 (first four) and 2, 4 (the two added); at the end of year 4
    # both lots have one of two years left: (4 + 2) × 1,000 / 2.
    a = replace(CASE, period_years=5, devices={"e_lock": DevicePrices(installation=1000.0,
                                                                      lifetime_years=2)})
    counts = [{"e_lock": 4.0}, {"e_lock": 4.0}, {"e_lock": 6.0}, {"e_lock": 6.0},
              {"e_lock": 6.0}]
    invest, residual = device_investment(a, counts)
    assert invest == [4000.0, 0.0, 6000.0, 0.0, 6000.0]
    assert residual == 3000.0


def test_years_after_the_last_simulated_year_repeat_it() -> None:
    a = replace(CASE, period_years=4, ramp_up={})
    later = YearInputs(2027, {"medicine_dispenser": 2000.0}, {"medicine_dispenser": 10.0}, 800.0)
    table = cash_flows(a, [*SIMULATED, later])
    assert table.line("capacity.hours")[1:] == (1000.0, 1000.0, 1000.0)
    assert table.line("capacity.hours")[0] == 700.0  # 1,200 h, of which 500 cash
    assert not math.isnan(sum(table.line("net.cash")))


def test_a_sensitivity_items_break_even_agrees_with_the_lever_of_the_same_assumption() -> None:
    # Two routes to "how large must the hourly cost be for NPV = 0": the tornado's low and high
    # runs, interpolated (exact here: the NPV is linear in the hourly cost), and the break-even
    # lever of the cost-benefit arithmetic on the mean figures.
    scenario = dispenser_scenario(
        economics={"cash_share": {"medicine_dispenser": 0.3}, "period_years": 3},
        sensitivity=[{"path": "benefit.costs.hourly_cost", "low": 200, "high": 900}])
    comparison = run_comparison(scenario, "tiny", seed=2, replications=2, years=(2026, 2027),
                                workers=1)
    assert "variant.sensitivity.0.low.input.devices.e_lock" not in comparison.per_year[2026][0]
    means = {y: {k: f.mean for k, f in aggregate_benefit(comparison.per_year[y]).items()}
             for y in comparison.years}
    levers = {(b.name, b.line): b.break_even
              for b in appraise(scenario, comparison.per_year, means).break_even}
    [item] = sensitivity_document(comparison, "tiny")
    assert item["base"] == 400.0 and item["path"] == "benefit.costs.hourly_cost"
    for line in ("net.cash", "net.with_capacity"):
        assert item["break_even"][line] == pytest.approx(levers[("hourly_cost", line)],
                                                         rel=1e-6)


def test_identities_of_the_arithmetic() -> None:
    flows = (-100.0, 30.0, 40.0, 50.0)
    assert net_present_value(flows, 0.0) == sum(flows)
    npv = net_present_value(flows, 0.04)
    assert annualised_value(npv, 0.04, 4) * sum(1.04 ** -t for t in range(4)) == pytest.approx(npv)
    assert payback_years(flows, 0.0) == 4 and payback_years((-1.0, -1.0), 0.04) is None
    # Everything freed is cash: nothing is left as capacity, and a budget that saves money has
    # a negative skattekostnad (less tax to raise).
    all_cash = replace(CASE, cash_share_default=1.0, cash_share={}, ramp_up={},
                       operator_hourly_cost=0.0, devices={}, one_off=(), licences_per_year=0.0)
    table = cash_flows(all_cash, SIMULATED)
    assert table.line("capacity.hours") == (0.0, 0.0)
    assert table.line("net.with_capacity") == table.line("net.cash")
    assert all(t < 0 for t in table.line("tax_cost"))
    assert table.line("net.cash") == pytest.approx(tuple(1.2 * b for b in table.line(
        "budget.net")))


def test_vtsim_compare_gives_the_hand_computed_npv_of_a_tiny_scenario(tmp_path: Path) -> None:
    # Ten dispenser users, two medication visits a day each (10 min in the home + one 10-min
    # leg of travel), never a missed dose: 20 visits × 20 min = 400 min a day freed, 2,433.33 h
    # a year. Half is cash (cash_share 0.5) at 400 NOK an hour: 486,666.67 NOK a year; the
    # other 1,216.67 h are capacity, also 486,666.67 NOK. Rent 10 × 900 × 12 = 108,000 a year;
    # installation 10 × 1,000 in 2026, with 3 of its 5 years left at the end of 2027: 6,000
    # back in 2027. The operator costs nothing here; no licences, no one-off costs.
    # 2026: budget 486,666.67 − 118,000 = 368,666.67; × 1.2 (skattekostnad) = 442,400.
    # 2027: budget 486,666.67 − 102,000 = 384,666.67; × 1.2 = 461,600.
    # NPV cash = 442,400 + 461,600 / 1.04 = 886,246.153846…
    # NPV with capacity = NPV cash + 486,666.67 × (1 + 1 / 1.04) = 1,840,861.538461…
    # Annualised cash = NPV × 1.04 / 2.04 = (442,400 × 1.04 + 461,600) / 2.04 = 451,811.764705…
    # Break-even hourly cost h (cash): 1,216.67 h × 2.04 = 118,000 × 1.04 + 102,000
    #   → h = 224,720 / 2,482 = 90.539887…
    scenario = dispenser_scenario(economics={"cash_share": {"medicine_dispenser": 0.5},
                                             "period_years": 2})
    file = tmp_path / "tiny.yaml"
    file.write_text(yaml.safe_dump(scenario.model_dump(mode="json", by_alias=True,
                                                       exclude_none=True)), encoding="utf-8")
    out = tmp_path / "gain"
    result = CliRunner().invoke(app, ["compare", str(file), "--years", "2026-2027",
                                      "--replications", "2", "--staffing", "scenario",
                                      "--psa-samples", "0", "--out", str(out)])
    assert result.exit_code == 0, result.output
    economics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["economics"]
    npv = economics["npv"]
    assert npv["net.cash"]["per_replication"] == pytest.approx([886_246.153_846] * 2, abs=1e-3)
    assert npv["net.with_capacity"]["mean"] == pytest.approx(1_840_861.538_462, abs=1e-3)
    assert npv["budget.net"]["mean"] == pytest.approx(368_666.666_667 + 384_666.666_667 / 1.04,
                                                      abs=1e-3)
    assert economics["annualised"]["net.cash"]["mean"] == pytest.approx(451_811.764_706,
                                                                        abs=1e-3)
    assert economics["payback_years"]["net.cash"] == 1
    [hourly] = [b for b in economics["break_even"]
                if b["name"] == "hourly_cost" and b["line"] == "net.cash"]
    assert hourly["break_even"] == pytest.approx(224_720 / 2_482, abs=1e-6)
