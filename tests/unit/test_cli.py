"""The ``vtsim`` command: exit codes, output files, byte-identical metrics for the same seed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim.model.records import TABLE_FIELDS
from tests.conftest import ROOT, SCENARIOS

SCENARIO = SCENARIOS / "checks" / "erlang-c.yaml"
SHORT = ["--set", "horizon=6h", "--set", "warmup=30min"]


def vtsim(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vtsim", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=300)


def test_run_writes_metrics_log_and_resolved_scenario(tmp_path: Path) -> None:
    out = tmp_path / "a"
    result = vtsim("run", str(SCENARIO), "--seed", "7", "--replications", "3", "--out", str(out),
                   *SHORT)
    assert result.returncode == 0, result.stderr
    assert "Answer time" in result.stdout and "Operators" in result.stdout
    document = json.loads((out / "metrics.json").read_text())
    assert document["seed"] == 7 and document["replications"] == 3
    wait = document["metrics"]["answer.p_wait"]
    assert set(wait) == {"mean", "ci_half_width", "n", "unit", "per_replication"}
    assert len(wait["per_replication"]) == 3 and wait["unit"] == "share"
    incidents = pq.read_table(out / "events" / "incidents.parquet")
    assert incidents.column_names == list(TABLE_FIELDS["incidents"])
    assert set(incidents.column("replication").to_pylist()) == {0, 1, 2}
    resolved = (out / "scenario.resolved.yaml").read_text()
    assert "seed: 7" in resolved and "vtsim" in resolved.splitlines()[0]


def test_same_seed_gives_byte_identical_metrics(tmp_path: Path) -> None:
    for name, workers in (("a", "1"), ("b", "2")):
        result = vtsim("run", str(SCENARIO), "--seed", "11", "--replications", "2",
                       "--workers", workers, "--out", str(tmp_path / name), "--log-format",
                       "none", *SHORT)
        assert result.returncode == 0, result.stderr
    first = (tmp_path / "a" / "metrics.json").read_bytes()
    assert first == (tmp_path / "b" / "metrics.json").read_bytes()
    other = vtsim("run", str(SCENARIO), "--seed", "12", "--replications", "2", "--out",
                  str(tmp_path / "c"), "--log-format", "none", *SHORT)
    assert other.returncode == 0
    assert (tmp_path / "c" / "metrics.json").read_bytes() != first


def test_resolved_scenario_reproduces_the_figures(tmp_path: Path) -> None:
    assert vtsim("run", str(SCENARIO), "--seed", "5", "--replications", "2", "--out",
                 str(tmp_path / "a"), "--log-format", "csv", *SHORT).returncode == 0
    again = vtsim("run", str(tmp_path / "a" / "scenario.resolved.yaml"), "--out",
                  str(tmp_path / "b"), "--log-format", "none")
    assert again.returncode == 0, again.stderr
    first = json.loads((tmp_path / "a" / "metrics.json").read_text())["metrics"]
    second = json.loads((tmp_path / "b" / "metrics.json").read_text())["metrics"]
    assert first == second
    header = (tmp_path / "a" / "events" / "messages.csv").read_text().splitlines()[0]
    assert header.split(",") == list(TABLE_FIELDS["messages"])


@pytest.mark.parametrize("command", ["run", "check"])
def test_bad_scenario_exits_2_with_one_line_per_problem(tmp_path: Path, command: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SCENARIO.read_text().replace("operators: 14", "operators: many")
                   .replace("horizon: 1d", "horizon: soon"))
    result = vtsim(command, str(bad))
    assert result.returncode == 2
    errors = [line for line in result.stdout.splitlines() if line.startswith("error:")]
    assert len(errors) == 2, result.stdout
    assert any("centre.shifts.0.operators" in e and "'many'" in e for e in errors)
    assert any(": horizon: " in e and "'soon'" in e for e in errors)
    assert not (tmp_path / "results").exists()


def test_check_accepts_a_good_scenario_and_warns_about_thin_staffing() -> None:
    result = vtsim("check", str(SCENARIO))
    assert result.returncode == 0 and "OK" in result.stdout
    thin = vtsim("check", str(SCENARIO), "--set", "centre.shifts.0.operators=1")
    assert thin.returncode == 0 and "IS-2552" in thin.stdout
