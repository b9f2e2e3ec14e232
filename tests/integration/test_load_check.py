"""A small run of the load check (``benchmarks/load_check.py``): 20 device connections, their
reconnect storm and a flood of 200 from one device, through a Mosquitto started with the shipped
configuration. Every alarm must be answered exactly once; latencies are printed by the full run
(docs/performance.md), not judged on a machine shared with the rest of the suite."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks.load_check import bench_config, run_check

pytestmark = pytest.mark.skipif(
    shutil.which("mosquitto") is None or shutil.which("mosquitto_sub") is None,
    reason="mosquitto and mosquitto_sub (Debian's mosquitto, mosquitto-clients) are needed")


def test_every_alarm_of_a_small_load_is_answered_exactly_once(tmp_path: Path) -> None:
    outcome = run_check(20, 200, tmp_path, spread_s=0.5)
    text = "\n".join(outcome.lines)
    assert "answers: 260 for 260 alarms; unanswered 0, answered twice 0, unknown 0" in text
    assert not [f for f in outcome.failures if "unanswered" in f or "exactly" in f]


def test_the_bench_broker_runs_the_shipped_settings_on_a_local_listener(tmp_path: Path) -> None:
    config = bench_config(1883, tmp_path, {"autosave_on_changes": "false"})
    lines = config.splitlines()
    assert lines[:2] == ["listener 1883 127.0.0.1", "allow_anonymous true"]
    assert "max_queued_messages 1000000" in lines and "autosave_on_changes false" in lines
    assert not [line for line in lines if line.split()[0] in ("cafile", "password_file",
                                                              "acl_file", "certfile")]
