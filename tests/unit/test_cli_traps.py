"""Bad options and output locations through the real ``vtsim`` entry point: one error line and
exit code 2 before anything is simulated; results folders replaced only with ``--force``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SCENARIOS

SCENARIO = SCENARIOS / "checks" / "erlang-c.yaml"
SHORT = ["--set", "horizon=6h", "--set", "warmup=30min"]
SWEEP = ["--set", "centre.shifts.0.operators=14"]


def vtsim(*args: str, lang: str = "C.UTF-8") -> subprocess.CompletedProcess[str]:
    """``python -m vtsim ARGS`` with the locale ``lang`` and 80 columns."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    env.update(LANG=lang, COLUMNS="80")
    return subprocess.run([sys.executable, "-m", "vtsim", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=300, env=env)


def one_error_line(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """The single error line of a refused command (exit code 2), which names ``words``."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("command", [
    ["run", str(SCENARIO)],
    ["sweep", str(SCENARIO), *SWEEP],
    ["compare", "scenarios/lier-2026.yaml"],
    ["size", str(SCENARIO), "--target", "answer 80% within 20s"],
])
def test_a_negative_seed_is_one_error_line(command: list[str]) -> None:
    line = one_error_line(vtsim(*command, "--seed", "-1"), "--seed -1", "0 or more",
                          "seed field")
    assert "must be 0 or more" in line


@pytest.mark.parametrize(("command", "option", "value", "expected"), [
    (["run", str(SCENARIO)], "--replications", "0", "from 1 to 10000"),
    (["run", str(SCENARIO)], "--replications", "10001", "from 1 to 10000"),
    (["run", str(SCENARIO)], "--workers", "0", "from 1 to 1024"),
    (["sweep", str(SCENARIO), *SWEEP], "--replications", "1", "from 2 to 10000"),
    (["sweep", str(SCENARIO), *SWEEP], "--workers", "-3", "from 1 to 1024"),
    (["compare", "scenarios/lier-2026.yaml"], "--psa-samples", "-1", "0 or more"),
    (["compare", "scenarios/lier-2026.yaml"], "--replications", "0", "from 1 to 10000"),
    (["size", str(SCENARIO), "--target", "answer 80% within 20s"], "--confidence", "1.5",
     "from 0.5 to 0.999"),
    (["size", str(SCENARIO), "--target", "answer 80% within 20s"], "--rota-factor", "0",
     "from 1 to 3"),
])
def test_numeric_options_out_of_range_are_one_error_line(command: list[str], option: str,
                                                         value: str, expected: str) -> None:
    one_error_line(vtsim(*command, option, value), f"{option} {value}", expected)


def test_the_seed_rule_is_the_scenario_field_rule(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SCENARIO.read_text().replace("seed: 2026", "seed: -1"))
    result = vtsim("check", str(bad))
    assert result.returncode == 2 and "seed" in result.stdout
    assert vtsim("run", str(SCENARIO), "--seed", "0", "--replications", "1", "--out",
                 str(tmp_path / "zero"), "--log-format", "none", *SHORT).returncode == 0


@pytest.mark.parametrize("command", [
    ["run", str(SCENARIO), *SHORT],
    ["sweep", str(SCENARIO), *SWEEP, *SHORT],
    ["compare", "scenarios/lier-2026.yaml"],
    ["size", str(SCENARIO), "--target", "answer 80% within 20s", *SHORT],
])
def test_out_naming_a_file_fails_before_anything_runs(tmp_path: Path,
                                                      command: list[str]) -> None:
    existing = tmp_path / "results.txt"
    existing.write_text("keep me")
    started = time.perf_counter()
    one_error_line(vtsim(*command, "--out", str(existing)), str(existing), "not a folder")
    assert time.perf_counter() - started < 30
    assert existing.read_text() == "keep me"
    one_error_line(vtsim(*command, "--out", str(existing / "inside")), "is a file")


def test_report_output_naming_a_folder_fails_before_rendering(tmp_path: Path) -> None:
    folder = tmp_path / "gain"
    folder.mkdir()
    (folder / "metrics.json").write_text(json.dumps({"schema": "vtsim.benefit/1"}))
    one_error_line(vtsim("report", str(folder), "--output", str(tmp_path)), "is a folder")


def run_into(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return vtsim("run", str(SCENARIO), "--replications", "2", "--out", str(out), *SHORT,
                 *extra)


def test_run_refuses_a_folder_with_results_and_force_replaces_it(tmp_path: Path) -> None:
    out = tmp_path / "results"
    assert run_into(out, "--log-format", "csv").returncode == 0
    first = (out / "metrics.json").read_bytes()
    refused = run_into(out, "--log-format", "none")
    one_error_line(refused, "already holds", "events", "--force")
    assert (out / "events" / "messages.csv").exists()
    replaced = run_into(out, "--log-format", "none", "--force")
    assert replaced.returncode == 0, replaced.stdout
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json", "run.json",
                                                    "scenario.resolved.yaml"]
    assert (out / "metrics.json").read_bytes() == first
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())


def test_force_never_deletes_what_vtsim_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "results"
    out.mkdir()
    (out / "metrics.json").write_text("{}")
    (out / "notes.docx").write_text("the project lead's notes")
    line = one_error_line(run_into(out, "--force"), "notes.docx", "did not write")
    assert "metrics.json" not in line
    assert (out / "notes.docx").read_text() == "the project lead's notes"
    assert (out / "metrics.json").read_text() == "{}"


def test_an_empty_folder_is_used_as_it_is(tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    assert run_into(out, "--log-format", "none").returncode == 0
    assert (out / "metrics.json").exists()


def test_sweep_refuses_a_folder_with_results_and_force_replaces_it(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    command = ["sweep", str(SCENARIO), *SWEEP, *SHORT, "--replications", "2", "--workers", "1",
               "--out", str(out)]
    assert vtsim(*command).returncode == 0
    stale = out / "attainment.png"
    assert stale.exists()
    stale.write_bytes(b"stale")
    one_error_line(vtsim(*command), "already holds", "--force")
    one_error_line(vtsim(*command, "--force", "--resume"), "not both")
    again = vtsim(*command, "--force", "--lang", "nb")
    assert again.returncode == 0, again.stdout
    assert max(len(line) for line in again.stdout.splitlines()) <= 80
    assert "…" not in again.stdout and "svar ≤ 20\xa0s" in again.stdout
    assert stale.read_bytes() != b"stale"
    assert len((out / "replications.jsonl").read_text().splitlines()) == 2


def test_check_warns_about_a_century_with_memory_and_time() -> None:
    long = vtsim("check", "scenarios/lier-2026.yaml", "--set", "horizon=36500d")
    assert long.returncode == 0, long.stdout
    warning = next(line for line in long.stdout.splitlines() if line.startswith("warning:"))
    assert "36,500 days" in warning and "GB of memory" in warning
    assert re.search(r"and [\d.,]+\xa0(min|h) on \d+ process", warning), warning
    year = vtsim("check", "scenarios/lier-2026.yaml")
    assert "GB of memory" not in year.stdout
    norsk = vtsim("check", "scenarios/lier-2026.yaml", "--set", "horizon=36500d", "--lang", "nb")
    assert "36\xa0500 døgn" in norsk.stdout and "GB minne" in norsk.stdout
    assert "i orden" in norsk.stdout
