"""The live centre: every message answered, the same on the in-process bus and on real brokers."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.contract.codec import encode_status, format_ts
from devices.contract.replies import Acknowledgement, RejectionNotice
from devices.transport.base import InProcessTransport
from devices.transport.mqtt import BrokerAddress
from tests.brokers import MosquittoBroker, mosquitto_binary
from tests.mqtt_cases import (
    CASES,
    DEVICE,
    KIND,
    NOW,
    alarm,
    case_topic,
    start_broker_centre,
)
from vtsim.live.centre import Answer, LiveCentre

Published = list[tuple[str, bytes]]


def in_process_centre(tenant: str | None = None) -> tuple[InProcessTransport, LiveCentre,
                                                         Published, list[Answer]]:
    """A centre on the in-process bus, with every answer it publishes and every verdict."""
    bus = InProcessTransport()
    published: Published = []
    answers: list[Answer] = []
    bus.subscribe("vt/v1/+/centre/#", lambda topic, payload: published.append((topic, payload)))
    centre = LiveCentre(bus, tenant=tenant, clock=lambda: NOW, on_answer=answers.append)
    centre.start()
    return bus, centre, published, answers


def check_answer_shape(topic: str, payload: bytes) -> str:
    """Validate an answer against the contract's reply models; its verdict."""
    if "/centre/ack/" in topic:
        Acknowledgement.model_validate_json(payload)
        return "accepted"
    return RejectionNotice.model_validate_json(payload).reason


# --- the contract cases ---------------------------------------------------------------------


def test_every_case_gets_its_verdict_in_process() -> None:
    bus, centre, published, answers = in_process_centre()
    for case in CASES:
        bus.publish(case_topic("lier", case), case.payload)
    assert [(a.verdict, a.topic) for a in answers] == [
        (case.verdict, case_topic("lier", case)) for case in CASES
    ]
    rejected = [(a.verdict, orjson.loads(p)["path"]) for a, (_, p) in zip(answers, published,
                                                                          strict=True)
                if not a.accepted]
    assert rejected == [(c.verdict, c.path) for c in CASES if c.verdict != "accepted"]
    assert [check_answer_shape(t, p) for t, p in published] == [c.verdict for c in CASES]
    assert {t for t, _ in published} == {f"vt/v1/lier/centre/ack/{DEVICE}",
                                         f"vt/v1/lier/centre/rejected/{DEVICE}"}
    assert centre.snapshot().messages == len(CASES)


def without_receipt(payload: bytes) -> bytes:
    """An answer without its ``received_at`` (acknowledgements carry one)."""
    body = orjson.loads(payload)
    body.pop("received_at", None)
    return orjson.dumps(body)


def test_the_cases_get_identical_answers_on_a_real_broker(
    broker: BrokerAddress, tenant: str
) -> None:
    bus, _, expected, _ = in_process_centre()
    for case in CASES:
        bus.publish(case_topic(tenant, case), case.payload)
    live = start_broker_centre(broker, tenant)
    try:
        for case in CASES:
            live.device.publish(case_topic(tenant, case), case.payload)
        assert live.device.flush(10.0)
        assert live.pump_until(lambda: len(live.answers) >= len(CASES))
        live.pump_until(lambda: False, timeout=0.3)  # nothing more may come
    finally:
        live.close()
    got = [(m.topic, m.payload) for m in live.answers]
    assert [(topic, without_receipt(payload)) for topic, payload in got] == [
        (topic, without_receipt(payload)) for topic, payload in expected]
    for _, payload in got:  # over the broker, the receipt is when the message came: a moment
        receipt = orjson.loads(payload).get("received_at")  # before the centre's clock, NOW
        if receipt is not None:
            came = datetime.fromisoformat(receipt.replace("Z", "+00:00")).timestamp()
            assert NOW - 5.0 <= came <= NOW, receipt
    assert {m.qos for m in live.answers} == {1}
    assert live.centre.snapshot().totals == {
        verdict: sum(1 for c in CASES if c.verdict == verdict) for verdict in
        {c.verdict for c in CASES}
    }


# --- the centre's own bookkeeping -------------------------------------------------------------


def test_sequence_gaps_are_counted_as_possible_loss() -> None:
    bus, centre, _, _ = in_process_centre()
    topic = case_topic("lier", CASES[0])
    for seq in (0, 1, 4, 5, 2, 9):  # 2 comes late: only 3 (and 6..8) are still missing
        bus.publish(topic, alarm(seq))
    bus.publish(topic, alarm(1, ts=NOW + 1))  # 1 again, other content: out of order
    (device,) = centre.snapshot().devices
    assert (device.last_seq, device.gaps, device.out_of_order) == (9, 1 + 3, 1)
    assert centre.snapshot().gaps == 4


def test_status_messages_set_the_device_state_and_bad_ones_are_answered() -> None:
    bus, centre, published, _ = in_process_centre()
    status_topic = f"vt/v1/lier/{KIND}/{DEVICE}/status"
    bus.publish(status_topic, encode_status(KIND, DEVICE, "online", format_ts(NOW)), retain=True)
    assert [d.status for d in centre.snapshot().devices] == ["online"]
    assert published == []
    bus.publish(status_topic, encode_status(KIND, DEVICE, "offline", format_ts(NOW - 86_400)))
    assert [d.status for d in centre.snapshot().devices] == ["offline"]
    bus.publish(status_topic, b"online")
    assert [(t, orjson.loads(p)["reason"]) for t, p in published] == [
        (f"vt/v1/lier/centre/rejected/{DEVICE}", "not_json")
    ]
    bus.publish(status_topic, b"", retain=True)  # clearing the retained status is not answered
    assert len(published) == 1


def test_a_centre_for_one_tenant_answers_no_other_tenant() -> None:
    bus, centre, published, answers = in_process_centre(tenant="lier")
    bus.publish(case_topic("baerum", CASES[0]), alarm(1))
    assert published == [] and answers == []
    centre.receive_event(case_topic("baerum", CASES[0]), alarm(1))
    assert [(a.verdict, a.answered_on) for a in answers] == [("bad_topic", None)]
    assert published == []
    assert centre.snapshot().totals == {"bad_topic": 1, "unanswered": 1}


def test_a_topic_without_a_usable_device_id_is_answered_on_the_tenant_rejected_topic() -> None:
    bus, _, published, answers = in_process_centre()
    bus.publish("vt/v1/lier/safety_alarm/bad id!/events", alarm(1))
    # an unusable device level breaks the topic scheme
    assert [a.verdict for a in answers] == ["bad_topic"]
    assert [t for t, _ in published] == ["vt/v1/lier/centre/rejected"]


def test_devices_beyond_the_limit_are_counted_not_tracked() -> None:
    bus = InProcessTransport()
    centre = LiveCentre(bus, clock=lambda: NOW, max_devices=2)
    centre.start()
    for number in range(3):
        device_id = f"sa-{number:04d}"
        bus.publish(f"vt/v1/lier/{KIND}/{device_id}/events", alarm(0, device_id=device_id))
    snapshot = centre.snapshot()
    assert len(snapshot.devices) == 2
    assert snapshot.untracked_devices >= 1
    assert snapshot.totals == {"accepted": 3}


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                  max_size=4),
    max_leaves=20)
ALARM_FIELDS = sorted(orjson.loads(alarm(1)))


def altered_alarm(field: str, value: object) -> bytes:
    """A valid alarm with one field set to ``value``."""
    body = orjson.loads(alarm(1))
    body[field] = value
    return json.dumps(body).encode()


@settings(max_examples=300, deadline=None)
@given(payload=st.binary(min_size=1, max_size=300)  # empty: a retained message cleared
       | JSON_VALUES.map(lambda doc: json.dumps(doc).encode())
       | st.builds(altered_alarm, st.sampled_from(ALARM_FIELDS), JSON_VALUES))
def test_any_payload_gets_exactly_one_answer(payload: bytes) -> None:
    bus, centre, published, answers = in_process_centre()
    bus.publish(case_topic("lier", CASES[0]), payload)
    assert len(answers) == 1 and len(published) == 1
    assert check_answer_shape(*published[0]) == answers[0].verdict
    assert centre.snapshot().messages == 1


# --- a broker that goes away ----------------------------------------------------------------


@pytest.mark.skipif(mosquitto_binary() is None, reason="mosquitto is not installed")
def test_the_centre_resubscribes_and_answers_after_the_broker_comes_back(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = MosquittoBroker(tmp_path / "a")
    live = start_broker_centre(first.address, "lier")
    second = None
    try:
        first.stop()
        live.pump_until(lambda: not live.centre_transport.connected, timeout=10)
        second = MosquittoBroker(tmp_path / "b", port=first.address.port)
        assert live.pump_until(lambda: live.centre_transport.connected
                               and live.observer.connected and live.device.connected, 20)
        deadline = time.monotonic() + 20
        seq = 0
        while not live.answers and time.monotonic() < deadline:  # until resubscribed
            live.device.publish(case_topic("lier", CASES[0]), alarm(seq))
            seq += 1
            live.pump_until(lambda: bool(live.answers), timeout=0.5)
        assert live.answers, "the centre answered nothing after the broker came back"
        assert "/centre/ack/" in live.answers[0].topic
        assert live.centre_transport.stats.reconnects == 1
    finally:
        live.close()
        if second is not None:
            second.stop()
