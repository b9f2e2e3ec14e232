"""Costs at the staffing that meets the answer target: where each year's operators per shift
come from (given, recorded, cached, searched), how the target is judged, and that the costs and
the operator årsverk follow the staffing used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sim.benefit.comparison import run_comparison
from sim.benefit.gains import BenefitError, check_benefit, compare_replication
from sim.benefit.staffing import (
    Staffing,
    StaffingCache,
    choose_staffing,
    judge_year,
    parse_staffing,
)
from sim.errors import ScenarioError
from sim.scenario.schema import Scenario
from tests.unit.test_benefit_arithmetic import dispenser_scenario
from vtsim.cli.main import app

YEAR_H = 24 * 365


def flooded(**economics: object) -> Scenario:
    """Ten dispenser users who miss every dose: ten alarms at once, twice a day, each taking
    100 s + 20 s of one operator (one shift, ``all``, around the clock)."""
    return dispenser_scenario(missed=1.0, economics={"target": "answer 90% within 60s",
                                                     **economics})


def test_staffing_comes_from_the_command_line_then_the_scenario_then_the_cache_then_search(
        tmp_path: Path) -> None:
    scenario = flooded(staffing={2027: {"all": 7}})
    searched: list[int] = []

    def search(year: int) -> dict[str, int]:
        searched.append(year)
        return {"all": 5}

    cache = StaffingCache(tmp_path / "cache.json", {"seed": 1})
    chosen = choose_staffing(scenario, (2026, 2027, 2028), ["2028:all=9"], cache, search)
    assert chosen == {2026: Staffing(2026, {"all": 5}, "search"),
                      2027: Staffing(2027, {"all": 7}, "scenario"),
                      2028: Staffing(2028, {"all": 9}, "given")}
    assert searched == [2026]
    again = choose_staffing(scenario, (2026,), [], cache, search)
    assert again[2026] == Staffing(2026, {"all": 5}, "cache") and searched == [2026]
    other = StaffingCache(tmp_path / "cache.json", {"seed": 2})  # another search: not reused
    assert other.get(2026) is None
    written = choose_staffing(scenario, (2026,), ["scenario"], cache, search)
    assert written[2026] == Staffing(2026, {"all": 1}, "as written")


def test_bad_staffing_is_refused_with_what_to_write() -> None:
    scenario = flooded()
    for spec in ("all=x", "day=2", "2026:"):
        with pytest.raises(ScenarioError, match="SHIFT=N"):
            parse_staffing([spec], scenario)
    assert parse_staffing(["all=3", "2027:all=4"], scenario) == (False, {None: {"all": 3},
                                                                        2027: {"all": 4}})


def test_the_target_is_met_with_enough_operators_and_costs_follow_the_staffing() -> None:
    scenario = flooded()
    few = run_comparison(scenario, "tiny", seed=3, replications=3, years=(2026,), workers=1,
                         staffing={2026: Staffing(2026, {"all": 1}, "given")})
    many = run_comparison(scenario, "tiny", seed=3, replications=3, years=(2026,), workers=1,
                          staffing={2026: Staffing(2026, {"all": 10}, "given")})
    # One operator answers one of ten alarms arriving together within 60 s (100 s each); ten
    # answer all of them at once.
    assert not any(j.met(0.9) for j in judge_year(few.scenarios[2026], few.per_year[2026], 0.95))
    judged = judge_year(many.scenarios[2026], many.per_year[2026], 0.95)
    assert [j.met(0.9) for j in judged] == [True] and judged[0].mean == 1.0
    for comparison, operators in ((few, 1), (many, 10)):
        figures = comparison.per_year[2026][0]
        assert figures["staff.centre.on_duty_hours.per_year"] == operators * YEAR_H
        # rota factor 1.14 (the default) and 1,695 h per årsverk
        assert figures["staff.centre.operator_arsverk"] == pytest.approx(
            operators * YEAR_H * 1.14 / 1695)
    assert few.staffing_sources == {2026: "given"}


def test_attainment_per_shift_is_the_share_answered_in_time() -> None:
    figures = compare_replication(flooded(), seed=3, index=0)
    # Per day: 2 bursts of 10 alarms; the single operator answers the first at once and each
    # next one 120 s later, so one alarm of ten is answered within 60 s.
    assert figures["staffing.attainment.all"] == pytest.approx(0.1)


def write_scenario(path: Path, scenario: Scenario) -> Path:
    path.write_text(yaml.safe_dump(scenario.model_dump(mode="json", by_alias=True,
                                                       exclude_none=True)), encoding="utf-8")
    return path


def test_compare_sizes_the_centre_once_then_reuses_the_result(tmp_path: Path) -> None:
    file = write_scenario(tmp_path / "flooded.yaml", flooded())
    out = tmp_path / "gain"
    runner = CliRunner()
    args = ["compare", str(file), "--replications", "2", "--psa-samples", "0", "--out", str(out)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    staffing = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["staffing"]
    assert staffing["target"] == "answer 90% within 1min"
    year = staffing["years"]["2026"]
    assert year["source"] == "search" and year["met"] and year["shifts"]["all"] >= 2
    assert (out / "staffing-cache.json").exists()
    second = runner.invoke(app, args)
    assert second.exit_code == 0 and "sizing the centre" not in second.output
    again = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["staffing"]
    assert again["years"]["2026"]["source"] == "cache"
    assert again["years"]["2026"]["shifts"] == year["shifts"]
    given = runner.invoke(app, [*args, "--staffing", "all=1", "--target",
                                "answer 95% within 60s"])
    assert given.exit_code == 0, given.output
    judged = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["staffing"]
    assert judged["years"]["2026"] == {**judged["years"]["2026"], "source": "given",
                                       "shifts": {"all": 1}, "met": False}
    assert "NOT met" in given.output
    bad = runner.invoke(app, [*args, "--target", "visit 90% within 45min"])
    assert bad.exit_code == 2 and "answer target" in bad.output


def test_recorded_staffing_must_name_the_scenarios_shifts() -> None:
    with pytest.raises(BenefitError, match=r"benefit\.economics\.staffing\.2027.*shifts all"):
        check_benefit(flooded(staffing={2027: {"day": 3}}), "tiny")
    check_benefit(flooded(staffing={2027: {"all": 3}}), "tiny")


def sizing_file(path: Path, target: dict[str, object], operators: int) -> Path:
    """A sizing.json as `vtsim size --out` writes it (the fields compare reads)."""
    path.write_text(json.dumps({
        "schema": "vtsim.sizing/1", "targets": [target],
        "years": [{"year": 2026, "shifts": [{"shift": "all", "operators": operators}]},
                  {"year": 2027, "shifts": [{"shift": "all", "operators": operators + 1}]}],
    }), encoding="utf-8")
    return path


def test_the_result_of_vtsim_size_is_read_for_the_same_target(tmp_path: Path) -> None:
    scenario = flooded()
    target = {"target": "answer 90% within 1min", "kind": "answer", "share": 0.9,
              "within_s": 60.0}
    good = sizing_file(tmp_path / "sizing.json", target, 4)
    assert parse_staffing([str(good)], scenario) == (False, {2026: {"all": 4}, 2027: {"all": 5}})
    other = sizing_file(tmp_path / "other.json", {**target, "share": 0.985}, 4)
    with pytest.raises(ScenarioError, match="not sized for answer 90% within 1min"):
        parse_staffing([str(other)], scenario)
    with pytest.raises(ScenarioError, match="cannot read the sizing result"):
        parse_staffing([str(tmp_path / "missing.json")], scenario)
