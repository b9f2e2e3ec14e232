"""Exact traces: tiny scenarios with constant times, checked to the second."""

from __future__ import annotations

import math

import pytest

from sim.run.replication import run_replication
from tests.scenario_factory import BASE, at, tiny

H8 = 8 * 3600.0


def incidents_by_event(log):  # type: ignore[no-untyped-def]
    return {r.event: r for r in log.incidents}


def test_one_operator_two_alarms_exact_timestamps() -> None:
    scenario = tiny(devices={"safety_alarm": {"events": {
        "button_need": at("08:00"),
        "fall_detected": at("08:01"),
    }}})
    log = run_replication(scenario, seed=1, replication=0)
    first, second = incidents_by_event(log)["button_need"], incidents_by_event(log)["fall_detected"]
    assert (first.t_received, first.t_answered, first.t_handled, first.t_closed) == (
        H8, H8, H8 + 100, H8 + 120)
    # The fall arrives at 08:01 while the only operator is busy; answered when she is free.
    assert (second.t_received, second.t_answered, second.t_handled, second.t_closed) == (
        H8 + 60, H8 + 120, H8 + 220, H8 + 240)
    assert first.operator == second.operator
    assert [m.place for m in log.messages] == ["incident", "incident"]
    assert all(r.state == "closed" for r in log.incidents)


def test_priority_overtakes_arrival_order() -> None:
    scenario = tiny(
        users=[{"name": "u", "count": 1, "devices": ["safety_alarm", "e_lock"]}],
        devices={
            "safety_alarm": {"events": {"button_need": at("08:00"),
                                        "fall_detected": at("08:00", delay=30)}},
            "e_lock": {"events": {"battery_low": at("08:00", delay=10)}},
        },
    )
    log = run_replication(scenario, seed=1, replication=0)
    by_event = incidents_by_event(log)
    # Busy until 08:02:00; the battery (priority 4) came first, the fall (priority 1) goes first.
    assert by_event["fall_detected"].t_answered == H8 + 120
    assert by_event["battery_low"].t_answered == H8 + 240
    assert by_event["battery_low"].priority == 4 and by_event["fall_detected"].priority == 1


def test_dispatched_visit_exact_timestamps() -> None:
    centre = {**BASE["centre"], "defaults": {**BASE["centre"]["defaults"],
                                             "outcomes": {"home_visit": 1.0}}}
    scenario = tiny(centre=centre,
                    devices={"safety_alarm": {"events": {"fall_detected": at("08:00")}}})
    log = run_replication(scenario, seed=1, replication=0)
    (visit,) = log.visits
    assert (visit.t_alarm, visit.t_requested, visit.t_assigned, visit.t_arrived,
            visit.t_departed, visit.t_returned) == (
        H8, H8 + 100, H8 + 100, H8 + 700, H8 + 1900, H8 + 2500)
    assert visit.state == "done"
    assert log.incidents[0].outcome == "home_visit"


def test_incident_in_progress_at_shift_end_is_finished_and_next_waits_for_next_shift() -> None:
    centre = {**BASE["centre"], "shifts": [
        {"name": "morning", "start": "07:00", "end": "08:01", "operators": 1},
        {"name": "later", "start": "09:00", "end": "10:00", "operators": 1},
    ]}
    scenario = tiny(centre=centre, devices={"safety_alarm": {"events": {
        "button_need": at("08:00"), "fall_detected": at("08:00", delay=30)}}})
    log = run_replication(scenario, seed=1, replication=0)
    by_event = incidents_by_event(log)
    first, second = by_event["button_need"], by_event["fall_detected"]
    assert first.shift == "morning" and first.t_closed == H8 + 120  # past 08:01: finished anyway
    assert second.shift == "later" and second.t_answered == 9 * 3600.0


def test_repeats_join_the_open_incident() -> None:
    repeat = {"probability": 1.0, "after": {"kind": "constant", "value": 30}, "max": 3}
    centre = {**BASE["centre"], "shifts": [
        {"name": "late", "start": "08:02", "end": "09:00", "operators": 1}]}
    scenario = tiny(centre=centre, devices={"safety_alarm": {"events": {
        "button_need": at("08:00", repeat=repeat)}}})
    log = run_replication(scenario, seed=1, replication=0)
    (incident,) = log.incidents
    # Pressed at 08:00:00, :30, 08:01:00, :30 (three repeats) before the operator comes at 08:02.
    assert incident.messages == 4
    assert [m.place for m in log.messages] == ["incident"] + ["correlated"] * 3
    assert incident.t_answered == H8 + 120


def test_unanswered_incident_at_horizon_is_recorded_as_waiting() -> None:
    centre = {**BASE["centre"], "shifts": [
        {"name": "never", "start": "20:00", "end": "21:00", "operators": 1}]}
    scenario = tiny(centre=centre, horizon="12h",
                    devices={"safety_alarm": {"events": {"button_need": at("08:00")}}})
    log = run_replication(scenario, seed=1, replication=0)
    (incident,) = log.incidents
    assert incident.state == "waiting" and math.isnan(incident.t_answered)


@pytest.mark.parametrize("duplicate", [0.0, 1.0])
def test_duplicates_are_recognised_by_message_id(duplicate: float) -> None:
    scenario = tiny(transport={"duplicate_probability": duplicate},
                    devices={"safety_alarm": {"events": {"button_need": at("08:00")}}})
    log = run_replication(scenario, seed=1, replication=0)
    places = [m.place for m in log.messages]
    assert places == ["incident"] + ["duplicate"] * int(duplicate)
    assert len(log.incidents) == 1


def test_corrupt_message_is_rejected_and_resent() -> None:
    scenario = tiny(transport={"malformed_probability": 1.0, "resend_after": 30},
                    horizon="28845s",
                    devices={"safety_alarm": {"events": {"button_need": at("08:00")}}})
    log = run_replication(scenario, seed=1, replication=0)
    assert [m.place for m in log.messages] == ["rejected", "rejected"]
    assert {m.reason for m in log.messages} == {"not_json"}
    assert log.incidents == []
