"""Conformance verdicts from observed messages: every requirement, passing and failing."""

from __future__ import annotations

import json

import numpy as np
import orjson
import pytest

from devices.contract.codec import Limits, encode_status, format_ts
from devices.contract.conformance import (
    MAX_EVIDENCE,
    REQUIREMENTS,
    ConformanceReport,
    Expectations,
    Observation,
    evaluate,
)
from devices.contract.status import DeviceState
from devices.contract.topics import STATUS
from devices.models.medicine_dispenser import MedicineDispenser
from devices.models.safety_alarm import SafetyAlarm

T0 = 1_790_000_000.0
"""Watch start (receiver clock, UNIX seconds)."""
HOUR = 3600.0


class Alarm:
    """A safety alarm that records what a watcher would receive from it."""

    def __init__(self, device_id: str = "sa-0007", tenant: str = "lier") -> None:
        self.device = SafetyAlarm(device_id, tenant)
        self.rng = np.random.default_rng(3)
        self.seen: list[Observation] = []

    def status(self, state: DeviceState, at: float, *, retain: bool = False) -> None:
        """A status message saying ``state``, set and received at ``at``."""
        payload = encode_status(self.device.device_type, self.device.device_id, state,
                                format_ts(at))
        self.raw_status(payload, at, retain=retain)

    def raw_status(self, payload: bytes, at: float, *, retain: bool = False) -> None:
        """Any payload on the device's status topic."""
        self.seen.append(Observation(self.device.topic(STATUS), payload, 1, retain, at))

    def event(self, event: str, at: float, *, qos: int = 1, skew: float = 0.0) -> bytes:
        """The next message of ``event``, stamped ``at + skew``, received at ``at``."""
        payload = self.device.make_message(
            event, at + skew, self.device.sample_fields(event, self.rng)
        )
        self.seen.append(Observation(self.device.topic(), payload, qos, False, at))
        return payload

    def raw(self, payload: bytes, at: float, *, topic: str | None = None, qos: int = 1) -> None:
        """Any payload on the device's events topic (or another topic)."""
        self.seen.append(Observation(topic or self.device.topic(), payload, qos, False, at))

    def well_behaved(self, hours: int = 3) -> None:
        """Online on subscribe, a heartbeat every hour and a button press, then cut off."""
        self.status("online", T0 + 0.01, retain=True)
        self.event("heartbeat", T0 + 600)
        self.event("button_need", T0 + 900)
        for hour in range(1, hours):
            self.event("heartbeat", T0 + 600 + hour * HOUR)
        self.status("offline", T0 + hours * HOUR)


def judge(alarm: Alarm, *, end: float = T0 + 3 * HOUR, interval: float | None = HOUR,
          limits: Limits | None = None) -> ConformanceReport:
    """Evaluate what the alarm sent, watched from T0 to ``end``."""
    expectations = Expectations(alarm.device.device_id, heartbeat_interval_s=interval,
                                limits=limits or Limits())
    seen = sorted(alarm.seen, key=lambda o: o.received_at)
    return evaluate(seen, expectations, T0, end)


def verdicts(report: ConformanceReport) -> dict[str, str]:
    """Requirement key -> verdict."""
    return {f.requirement: f.verdict for f in report.findings}


def finding(report: ConformanceReport, key: str) -> tuple[str, str, tuple[str, ...]]:
    """(verdict, summary, evidence) of one requirement."""
    found = next(f for f in report.findings if f.requirement == key)
    return found.verdict, found.summary, found.evidence


def test_a_well_behaved_device_passes_every_requirement() -> None:
    alarm = Alarm()
    alarm.well_behaved()
    report = judge(alarm)
    assert verdicts(report) == dict.fromkeys(REQUIREMENTS, "pass")
    assert report.passed
    assert report.counts == {"events": 4, "status": 2, "other": 0}
    assert report.tenants == ("lier",) and report.device_types == ("safety_alarm",)


def test_nothing_received_leaves_every_requirement_undecided_but_the_retained_status() -> None:
    report = judge(Alarm())
    expected = dict.fromkeys(REQUIREMENTS, "not_observed")
    expected["retained_status"] = "fail"
    assert verdicts(report) == expected
    assert not report.passed


# --- schema ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "reason"),
    [(b"{not json", "not_json"), (b"\xff\xfe", "invalid_utf8"), (b"[1, 2]", "not_object")],
)
def test_a_payload_the_decoder_rejects_fails_the_schema_with_its_reason(
    payload: bytes, reason: str
) -> None:
    alarm = Alarm()
    alarm.well_behaved()
    alarm.raw(payload, T0 + 1000)
    verdict, summary, evidence = finding(judge(alarm), "schema")
    assert verdict == "fail"
    assert summary == "1 of 5 payloads rejected"
    assert len(evidence) == 1 and f": {reason} at" in evidence[0]


def test_a_field_of_the_wrong_type_fails_the_schema_naming_the_field() -> None:
    alarm = Alarm()
    alarm.well_behaved()
    body = orjson.loads(alarm.event("heartbeat", T0 + 1200))
    alarm.seen.pop()
    body["battery_pct"] = "87"
    alarm.raw(orjson.dumps(body), T0 + 1200)
    verdict, _, evidence = finding(judge(alarm), "schema")
    assert verdict == "fail"
    assert "schema at 'battery_pct'" in evidence[0]


# --- topic ----------------------------------------------------------------------------------


def test_a_payload_naming_another_device_fails_the_topic_not_the_schema() -> None:
    alarm = Alarm()
    alarm.well_behaved()
    other = SafetyAlarm("sa-0008", "lier")
    payload = other.make_message("heartbeat", T0 + 1500, {"battery_pct": 80})
    alarm.raw(payload, T0 + 1500)
    report = judge(alarm)
    verdict, _, evidence = finding(report, "topic")
    assert verdict == "fail"
    assert "topic_mismatch at 'device_id'" in evidence[0]
    assert finding(report, "schema")[0] == "pass"


def test_a_message_outside_the_topic_scheme_fails_the_topic() -> None:
    alarm = Alarm()
    alarm.well_behaved()
    alarm.raw(b"{}", T0 + 10, topic="vt/v1/lier/safety_alarm/sa-0007/telemetry")
    verdict, _, evidence = finding(judge(alarm), "topic")
    assert verdict == "fail" and "outside the scheme" in evidence[0]


def test_one_device_id_under_two_tenants_fails_the_topic() -> None:
    alarm = Alarm()
    alarm.well_behaved()
    twin = Alarm(tenant="drammen")
    twin.event("heartbeat", T0 + 700)
    alarm.seen.extend(twin.seen)
    verdict, _, evidence = finding(judge(alarm), "topic")
    assert verdict == "fail" and "--tenant" in evidence[-1]


# --- QoS ------------------------------------------------------------------------------------


@pytest.mark.parametrize("qos", [0, 2])
def test_events_at_another_qos_than_one_fail(qos: int) -> None:
    alarm = Alarm()
    alarm.well_behaved()
    alarm.event("button_need", T0 + 8000, qos=qos)
    verdict, summary, evidence = finding(judge(alarm), "qos")
    assert verdict == "fail"
    assert f"QoS {qos}: 1" in summary and "QoS 1: 4" in summary
    assert evidence[-1].endswith(f"QoS {qos}")
    assert ("amqtt" in evidence[0]) is (qos == 2)


# --- sequence -------------------------------------------------------------------------------


def test_a_gap_in_the_sequence_is_listed_but_passes() -> None:
    alarm = Alarm()
    alarm.well_behaved()
    alarm.device.next_seq()
    alarm.device.next_seq()
    alarm.event("button_need", T0 + 8000)
    verdict, summary, evidence = finding(judge(alarm), "sequence")
    assert verdict == "pass"
    assert "1 gap(s)" in summary
    assert any("seq 4..5 not received" in line for line in evidence)


def test_a_sequence_going_backwards_fails() -> None:
    alarm = Alarm()
    alarm.well_behaved()
    restarted = SafetyAlarm("sa-0007", "lier")
    payload = restarted.make_message("heartbeat", T0 + 8000, {"battery_pct": 50})
    payload = payload.replace(b"sa-0007-00000000", b"sa-0007-reboot-0")
    alarm.raw(payload, T0 + 8000)
    verdict, summary, evidence = finding(judge(alarm), "sequence")
    assert verdict == "fail"
    assert "1 backwards or repeated" in summary
    assert "seq 0 (sa-0007-reboot-0) after seq 3" in evidence[0]


def test_a_redelivery_of_the_same_message_is_allowed() -> None:
    alarm = Alarm()
    alarm.well_behaved()
    first = next(o for o in alarm.seen if o.topic.endswith("/events"))
    alarm.raw(first.payload, T0 + 2500)
    verdict, summary, evidence = finding(judge(alarm), "sequence")
    assert verdict == "pass" and "1 redelivery(ies)" in summary
    assert "allowed at QoS 1" in evidence[0]


def test_a_message_id_reused_with_another_seq_fails() -> None:
    alarm = Alarm()
    alarm.well_behaved()
    body = orjson.loads(next(o for o in alarm.seen if o.topic.endswith("/events")).payload)
    body["seq"] = 99
    alarm.raw(orjson.dumps(body), T0 + 2500)
    verdict, summary, evidence = finding(judge(alarm), "message_id")
    assert verdict == "fail" and summary.startswith("1 message(s) reused")
    assert "reused for heartbeat seq 99 (first: heartbeat seq 0)" in evidence[0]
    assert "id_conflict" in evidence[0]


def test_a_heartbeat_and_an_alarm_sharing_an_id_fail_while_a_copy_passes() -> None:
    alarm = Alarm()
    alarm.well_behaved()
    heartbeat = next(o for o in alarm.seen if o.topic.endswith("/events"))
    body = orjson.loads(heartbeat.payload)
    alarm.raw(heartbeat.payload, T0 + 2400)  # the same message again: allowed
    assert finding(judge(alarm), "message_id")[0] == "pass"
    press = orjson.loads(alarm.device.make_message("button_need", T0 + 2500, {}))
    press["message_id"] = body["message_id"]
    alarm.raw(orjson.dumps(press), T0 + 2500)
    verdict, _, evidence = finding(judge(alarm), "message_id")
    assert verdict == "fail" and "reused for button_need" in evidence[0]


# --- heartbeat ------------------------------------------------------------------------------


def test_a_missed_heartbeat_fails_with_the_gap() -> None:
    alarm = Alarm()
    alarm.status("online", T0, retain=True)
    for hour in (0, 1, 3):
        alarm.event("heartbeat", T0 + 600 + hour * HOUR)
    verdict, summary, evidence = finding(judge(alarm, end=T0 + 4 * HOUR), "heartbeat")
    assert verdict == "fail"
    assert "expected every 3235..3965 s" in summary
    assert "7200.0 s without heartbeat" in evidence[0]


def test_heartbeats_far_too_often_fail() -> None:
    alarm = Alarm()
    for minute in range(0, 180, 10):
        alarm.event("heartbeat", T0 + minute * 60)
    verdict, _, evidence = finding(judge(alarm), "heartbeat")
    assert verdict == "fail" and "only 600.0 s after the previous one" in evidence[0]


def test_silence_after_an_offline_status_is_not_a_missed_heartbeat() -> None:
    alarm = Alarm()
    alarm.well_behaved(hours=2)
    verdict, _, _ = finding(judge(alarm, end=T0 + 10 * HOUR), "heartbeat")
    assert verdict == "pass"


def test_a_short_interval_shows_its_bounds_with_decimals() -> None:
    alarm = Alarm()
    for second in (0, 2, 4, 6):
        alarm.event("heartbeat", T0 + second)
    _, summary, _ = finding(judge(alarm, end=T0 + 7, interval=2.0), "heartbeat")
    assert "expected every 1.6..2.4 s" in summary  # 10 % and as much slack


def test_a_watch_shorter_than_two_intervals_does_not_decide_the_heartbeat() -> None:
    alarm = Alarm()
    alarm.event("heartbeat", T0 + 600)
    verdict, summary, _ = finding(judge(alarm, end=T0 + 1200), "heartbeat")
    assert verdict == "not_observed" and "watch at least two intervals" in summary


def test_a_watch_longer_than_an_interval_without_heartbeat_fails() -> None:
    alarm = Alarm()
    alarm.event("button_need", T0 + 600)
    verdict, _, evidence = finding(judge(alarm, end=T0 + 2 * HOUR), "heartbeat")
    assert verdict == "fail" and "7200.0 s without heartbeat" in evidence[0]


def test_the_heartbeat_needs_an_expected_interval() -> None:
    alarm = Alarm()
    alarm.well_behaved()
    verdict, summary, _ = finding(judge(alarm, interval=None), "heartbeat")
    assert verdict == "not_observed" and "--interval" in summary


def test_a_kind_without_periodic_message_has_no_heartbeat_requirement() -> None:
    dispenser = MedicineDispenser("disp-0042", "lier")
    payload = dispenser.make_message("reminder", T0 + 5, dispenser.sample_fields(
        "reminder", np.random.default_rng(1)))
    seen = [Observation(dispenser.topic(), payload, 1, False, T0 + 5)]
    report = evaluate(seen, Expectations("disp-0042", HOUR), T0, T0 + 3 * HOUR)
    verdict, summary, _ = finding(report, "heartbeat")
    assert verdict == "not_observed"
    assert summary == "medicine_dispenser has no periodic message in the contract"


# --- retained status and last will ----------------------------------------------------------


def test_no_retained_status_fails() -> None:
    alarm = Alarm()
    alarm.event("heartbeat", T0 + 5)
    verdict, summary, _ = finding(judge(alarm), "retained_status")
    assert verdict == "fail" and "retain=true" in summary


def test_a_retained_offline_status_leaves_the_online_check_open_and_shows_the_will() -> None:
    alarm = Alarm()
    alarm.status("offline", T0, retain=True)
    report = judge(alarm)
    assert finding(report, "retained_status")[0] == "not_observed"
    verdict, summary, _ = finding(report, "last_will")
    assert verdict == "pass" and "retained on subscribe" in summary


def test_a_device_coming_online_during_the_watch_cannot_show_its_retain_flag() -> None:
    alarm = Alarm()
    alarm.status("online", T0 + 60)
    verdict, summary, _ = finding(judge(alarm), "retained_status")
    assert verdict == "not_observed" and "came online during the watch" in summary


@pytest.mark.parametrize(
    ("payload", "reason"),
    [(b"online", "not_json"), (b'{"device_type": "safety_alarm", "status": "up"}', "schema")],
)
def test_a_status_payload_the_contract_rejects_fails_both_status_checks(
    payload: bytes, reason: str
) -> None:
    alarm = Alarm()
    alarm.raw_status(payload, T0, retain=True)
    report = judge(alarm)
    assert finding(report, "retained_status")[0] == "fail"
    verdict, summary, evidence = finding(report, "last_will")
    assert verdict == "fail" and summary == "1 status message(s) rejected"
    assert f": {reason} at" in evidence[0]


def test_an_empty_retained_status_only_clears_it() -> None:
    alarm = Alarm()
    alarm.raw_status(b"", T0, retain=True)
    assert finding(judge(alarm), "retained_status")[0] == "fail"
    assert finding(judge(alarm), "last_will")[0] == "not_observed"


def test_a_device_that_stays_connected_does_not_show_its_will() -> None:
    alarm = Alarm()
    alarm.status("online", T0, retain=True)
    verdict, summary, _ = finding(judge(alarm), "last_will")
    assert verdict == "not_observed" and "cut its power or network" in summary


def test_the_will_is_reported_with_the_time_since_the_last_event() -> None:
    alarm = Alarm()
    alarm.well_behaved()
    _, summary, _ = finding(judge(alarm), "last_will")
    assert summary.endswith(f"{3 * HOUR - (600 + 2 * HOUR):.1f} s after its last events message")


# --- clock skew -----------------------------------------------------------------------------


def test_a_ts_too_far_in_the_future_fails_the_clock() -> None:
    alarm = Alarm()
    alarm.well_behaved()
    alarm.event("button_need", T0 + 8000, skew=400.0)
    verdict, summary, evidence = finding(judge(alarm), "clock_skew")
    assert verdict == "fail" and "+400.0" in summary
    assert "ts +400.0 s from receipt" in evidence[0]


def test_a_ts_too_far_in_the_past_fails_the_clock() -> None:
    alarm = Alarm()
    alarm.well_behaved()
    alarm.event("button_need", T0 + 8000, skew=-120.0)
    limits = Limits(max_past_s=60.0)
    assert finding(judge(alarm, limits=limits), "clock_skew")[0] == "fail"
    assert finding(judge(alarm), "clock_skew")[0] == "pass"


# --- the report -----------------------------------------------------------------------------


def test_evidence_is_cut_to_a_few_lines_with_the_rest_counted() -> None:
    alarm = Alarm()
    for n in range(20):
        alarm.raw(b"{", T0 + n)
    _, _, evidence = finding(judge(alarm), "schema")
    assert len(evidence) == MAX_EVIDENCE
    assert evidence[-1] == f"... and {20 - MAX_EVIDENCE + 1} more"


def test_the_json_report_has_stable_keys_and_lists_the_failures() -> None:
    alarm = Alarm()
    alarm.well_behaved()
    alarm.event("button_need", T0 + 8000, qos=0)
    document = judge(alarm).to_json()
    assert list(document) == ["device_id", "tenants", "device_types", "watch", "messages",
                              "passed", "failed", "requirements"]
    assert document["passed"] is False and document["failed"] == ["qos"]
    assert [r["key"] for r in document["requirements"]] == list(REQUIREMENTS)
    assert set(document["requirements"][0]) == {"key", "title", "verdict", "summary", "evidence"}
    assert document["watch"]["duration_s"] == 3 * HOUR
    json.dumps(document)


def test_a_device_that_falls_silent_without_a_will_fails_the_last_will() -> None:
    alarm = Alarm()
    alarm.status("online", T0 + 0.01, retain=True)
    alarm.event("heartbeat", T0 + 600)
    alarm.event("heartbeat", T0 + 600 + HOUR)  # then it crashes; no will is published
    verdict, summary, _ = finding(judge(alarm, end=T0 + 6 * HOUR), "last_will")
    assert verdict == "fail"
    assert "no 'offline' status came" in summary and "register a last will" in summary


def test_a_device_still_sending_stays_undecided_on_the_will() -> None:
    alarm = Alarm()
    alarm.status("online", T0 + 0.01, retain=True)
    for hour in range(3):
        alarm.event("heartbeat", T0 + 600 + hour * HOUR)
    verdict, summary, _ = finding(judge(alarm, end=T0 + 3 * HOUR), "last_will")
    assert verdict == "not_observed" and "stayed connected" in summary


def test_a_retained_events_message_fails_with_how_to_clear_it() -> None:
    alarm = Alarm()
    alarm.well_behaved()
    payload = alarm.device.make_message("button_need", T0 - HOUR, {})
    alarm.seen.append(Observation(alarm.device.topic(), payload, 1, True, T0 + 0.02))
    verdict, summary, evidence = finding(judge(alarm), "events_not_retained")
    assert verdict == "fail"
    assert "retain=false" in summary and "empty retained message" in summary
    assert evidence and "sa-0007-00000004" in evidence[0]
