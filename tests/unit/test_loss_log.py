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


def test_one_devices_jump_among_quiet_devices_is_blamed_on_its_counter() -> None:
    line = LossLog().note({"possible_loss": 195, "possible_loss_devices": 1,
                           "devices_tracked": 40, "possible_loss_device": "lier/sa-bad"}, 0.0)
    assert line is not None
    assert "seq counter jumps" in line and "lier/sa-bad" in line
    assert "max_queued_messages" not in line


def test_gaps_across_devices_are_blamed_on_the_broker() -> None:
    line = LossLog().note({"possible_loss": 40, "possible_loss_devices": 12,
                           "devices_tracked": 40}, 0.0)
    assert line is not None and "max_queued_messages" in line and "seq counter" not in line


def test_a_single_device_in_sight_names_both_causes() -> None:
    line = LossLog().note({"possible_loss": 3, "possible_loss_devices": 1,
                           "devices_tracked": 1}, 0.0)
    assert line is not None and "seq counter jumped" in line and "vtsim.conf" in line


def test_gaps_known_before_a_restart_are_not_logged_as_new() -> None:
    log = LossLog(known=299)
    assert log.note(report(299), 0.0) is None  # the same gaps, resumed from the store
    line = log.note(report(301), 1.0)
    assert line is not None and "(2 new; 299 known from before the start)" in line


def test_the_health_advice_tells_a_devices_jump_from_broker_loss() -> None:
    from devices.transport.base import InProcessTransport
    from tests.mqtt_cases import KIND, NOW, alarm
    from vtsim.live.centre import LiveCentre
    from vtsim.live.health import loss_advice

    bus = InProcessTransport()
    centre = LiveCentre(bus, clock=lambda: NOW)
    centre.start()
    for device in ("sa-good", "sa-bad"):
        bus.publish(f"vt/v1/lier/{KIND}/{device}/events", alarm(4, device_id=device))
    bus.publish(f"vt/v1/lier/{KIND}/sa-good/events", alarm(5, device_id="sa-good"))
    bus.publish(f"vt/v1/lier/{KIND}/sa-bad/events", alarm(200, device_id="sa-bad"))
    advice = loss_advice(centre.snapshot())["advice"]
    assert "seq counter jumps" in advice and "lier/sa-bad" in advice
    bus.publish(f"vt/v1/lier/{KIND}/sa-good/events", alarm(9, device_id="sa-good"))
    assert "max_queued_messages" in loss_advice(centre.snapshot())["advice"]
