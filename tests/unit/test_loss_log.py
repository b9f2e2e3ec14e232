"""The centre's log line about sequence gaps: clear, naming the broker limit and the fix, and
rate-limited (one line when loss starts, then at most one a minute while it grows)."""

from __future__ import annotations

import logging

import pytest

from vtsim.live.loss_log import LossLog


def report(missing: int, devices: int = 1) -> dict[str, object]:
    return {"possible_loss": missing, "possible_loss_devices": devices}


def test_the_first_gap_is_logged_with_the_broker_limit_and_the_fix(
        caplog: pytest.LogCaptureFixture) -> None:
    log = LossLog(interval_s=60.0)
    with caplog.at_level(logging.WARNING, logger="vtsim.centre"):
        assert log.note(report(0, 0), 0.0) is None
        line = log.note(report(3, 2), 5.0)
    assert line is not None
    assert [record.getMessage() for record in caplog.records] == [line]
    assert "3 sequence number(s) missing from 2 device(s)" in line
    assert "max_queued_messages" in line and "docs/mosquitto/vtsim.conf" in line


def test_growing_loss_is_logged_at_most_once_per_interval(
        caplog: pytest.LogCaptureFixture) -> None:
    log = LossLog(interval_s=60.0)
    with caplog.at_level(logging.WARNING, logger="vtsim.centre"):
        written = [log.note(report(missing), at)
                   for missing, at in [(1, 0.0), (50, 5.0), (900, 59.0), (900, 61.0),
                                       (901, 62.0), (901, 200.0), (902, 200.5)]]
    assert [line is not None for line in written] == [
        True, False, False, True, False, True, False]
    assert "(899 new)" in str(written[3]) and "(1 new)" in str(written[5])
    assert len(caplog.records) == 3


def test_a_report_without_loss_figures_logs_nothing() -> None:
    assert LossLog().note({"state": "running"}, 0.0) is None
