"""Where ``vtsim conformance`` finds the expected heartbeat interval."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from devices.contract.conformance import Observation
from devices.models.gps_tracker import GpsTracker
from devices.models.medicine_dispenser import MedicineDispenser
from devices.models.safety_alarm import SafetyAlarm
from vtsim.live.conformance_watch import expected_interval

T0 = 1_790_000_000.0
SHIPPED = Path(__file__).resolve().parents[2] / "scenarios" / "lier-2026.yaml"


def heartbeat_seen(device: SafetyAlarm | GpsTracker, event: str) -> list[Observation]:
    payload = device.make_message(event, T0, device.sample_fields(event,
                                                                  np.random.default_rng(1)))
    return [Observation(device.topic(), payload, 1, False, T0)]


def test_without_scenario_the_shipped_device_profile_gives_the_interval() -> None:
    seen = heartbeat_seen(SafetyAlarm("sa-bad", "lier"), "heartbeat")
    interval, source = expected_interval(seen, None)
    assert interval == 3600.0
    assert source == "shipped device profile safety_alarm/standard: heartbeat.interval"


def test_the_tracker_profile_gives_its_position_interval() -> None:
    seen = heartbeat_seen(GpsTracker("gps-1", "lier"), "position")
    assert expected_interval(seen, None) == (
        300.0, "shipped device profile gps_tracker/standard: position.interval")


def test_a_kind_without_periodic_message_has_no_interval() -> None:
    dispenser = MedicineDispenser("disp-1", "lier")
    payload = dispenser.make_message("reminder", T0, dispenser.sample_fields(
        "reminder", np.random.default_rng(1)))
    interval, source = expected_interval(
        [Observation(dispenser.topic(), payload, 1, False, T0)], None)
    assert interval is None and "sets no interval" in source


def test_nothing_seen_names_why() -> None:
    assert expected_interval([], None) == (None, "device kind not seen")


def test_a_scenario_file_still_wins() -> None:
    seen = heartbeat_seen(SafetyAlarm("sa-bad", "lier"), "heartbeat")
    interval, source = expected_interval(seen, SHIPPED)
    assert interval == 3600.0 and source == "lier-2026.yaml: safety_alarm.heartbeat.interval"
