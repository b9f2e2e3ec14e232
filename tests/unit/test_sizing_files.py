"""``vtsim size --out``: sizing.json and sizing.csv, per shift and per hour, and the refusal to
overwrite earlier results (checked before any simulation)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import vtsim.cli.sizing_commands as sizing_commands
from sim.analysis.attainment import answer_attainment, hourly_answer_attainment
from sim.model.metrics import share_within
from sim.run.replication import run_replication
from sim.scenario.benefit import Costs
from sim.scenario.loading import load_scenario
from tests.conftest import SCENARIOS
from vtsim.cli.main import app

ERLANG = SCENARIOS / "checks" / "erlang-c.yaml"
LIER = SCENARIOS / "lier-2026.yaml"
SHORT = ["--set", "horizon=4h", "--set", "warmup=30min"]


def size_args(out: Path, *extra: str) -> list[str]:
    return ["size", str(ERLANG), "--target", "answer 80% within 20s", "--replications", "3",
            "--workers", "1", *SHORT, "--out", str(out), *extra]


def test_hourly_attainment_adds_up_to_the_shifts() -> None:
    scenario = load_scenario(LIER, {"horizon": "2d", "warmup": "6h"})
    log = run_replication(scenario, 7, 0)
    hourly = hourly_answer_attainment(scenario, log)
    assert len(hourly) == 24 * len(scenario.targets.answer_within)
    rows = [r for r in log.incidents if scenario.warmup <= r.t_received < scenario.horizon]
    received = np.array([r.t_received for r in rows])
    answered = np.array([r.t_answered for r in rows])
    hours = (received % 86400 // 3600).astype(int)
    for hour in (3, 8, 20):
        picked = hours == hour
        assert hourly[f"attainment.answer.within_1min.hour_{hour:02d}"] == share_within(
            received[picked], answered[picked], scenario.horizon, 60.0)
    # the night shift (23-07) is the hours 23 and 00-06 together
    night = np.isin(hours, [23, 0, 1, 2, 3, 4, 5, 6])
    shift_share = answer_attainment(scenario, log)["attainment.answer.within_1min.night"]
    assert shift_share == share_within(received[night], answered[night], scenario.horizon, 60.0)


def test_size_writes_json_and_csv_per_shift_and_hour(tmp_path: Path) -> None:
    out = tmp_path / "size"
    result = CliRunner().invoke(app, size_args(out, "--rota-factor", "1.2"))
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "sizing.json").read_text())
    assert doc["schema"] == "vtsim.sizing/1" and doc["rota_factor"] == 1.2
    (year,) = doc["years"]
    (shift,) = year["shifts"]
    operators = shift["operators"]
    assert shift["erlang_c"] == 14 and operators >= 14
    assert shift["staff_hours_per_year"] == operators * 24 * 365
    assert shift["arsverk"] == pytest.approx(operators * 24 * 365 / 1695)
    assert shift["arsverk_with_rota"] == pytest.approx(1.2 * shift["arsverk"])
    (target,) = shift["targets"]
    values = np.array(target["per_replication"], dtype=float)
    assert target["mean"] == pytest.approx(values.mean())
    assert target["low"] < target["mean"] < target["high"]
    assert target["high"] - target["mean"] == pytest.approx(target["mean"] - target["low"])
    assert [h["operators"] for h in year["hours"]] == [operators] * 24
    assert [h["erlang_c"] for h in year["hours"]] == [14] * 24
    assert sum(h["arsverk"] for h in year["hours"]) == pytest.approx(shift["arsverk"])
    assert year["total"]["operator_arsverk_with_rota"] == pytest.approx(
        shift["arsverk_with_rota"])
    first_hours = [h["targets"][0] for h in year["hours"][:4]]
    assert all(t["n"] == 3 and t["low"] <= t["mean"] <= t["high"] for t in first_hours)
    assert year["hours"][10]["targets"][0]["mean"] is None  # a 4 h horizon: no incidents at 10:00
    rows = list(csv.DictReader((out / "sizing.csv").open()))
    assert [r["level"] for r in rows] == ["shift"] + ["hour"] * 24 + ["total"]
    assert rows[0]["staff"] == str(operators)
    assert float(rows[0]["attainment_mean"]) == target["mean"]
    assert rows[1]["name"] == "00" and rows[1]["offered_erlang"] == "10.0"


def test_size_refuses_existing_output_before_searching(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "size"
    out.mkdir()
    (out / "sizing.csv").write_text("earlier results\n")

    def no_search(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the search ran although the output exists")

    monkeypatch.setattr(sizing_commands, "size_year", no_search)
    refused = CliRunner().invoke(app, size_args(out))
    assert refused.exit_code == 2
    assert "sizing.csv" in refused.output and "--force" in refused.output
    assert (out / "sizing.csv").read_text() == "earlier results\n"
    monkeypatch.undo()
    forced = CliRunner().invoke(app, size_args(out, "--force"))
    assert forced.exit_code == 0, forced.output
    assert (out / "sizing.csv").read_text().startswith("year,level,name")
    doc = json.loads((out / "sizing.json").read_text())
    assert doc["rota_factor"] == Costs().rota_factor  # no benefit section: the default
    assert doc["rota_factor_source"] == "default of benefit.costs.rota_factor"
