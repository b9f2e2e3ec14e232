"""The emulated fleet without a broker: which devices, what they send, and the repeat rule."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest

from devices.contract.codec import Accepted, decode_message
from devices.contract.topics import ack_topic, incident_topic
from sim.engine.core import Engine
from sim.model.fleet import build_fleet
from sim.model.randomness import Streams
from sim.realtime.emulation import (
    AnswerBook,
    EmulatedSender,
    build_emulation,
    select_devices,
    sim_clock,
    start_every_source,
)
from tests.scenario_factory import tiny

FAST = 1e6
"""Emulation speed for tests: simulated hours pass in milliseconds."""


def kit(count: int, devices: list[str]) -> list[dict[str, Any]]:
    """One user group of ``count`` users with the same device kit."""
    return [{"name": "u", "count": count, "devices": devices}]


def alarms_with_repeats(probability: float = 1.0, repeats: int = 2) -> dict[str, Any]:
    """Safety alarms pressed often, repeated while unanswered, with an hourly heartbeat."""
    return {"safety_alarm": {"events": {
        "button_need": {"rate_per_day": 24.0, "repeat": {
            "probability": probability, "after": {"kind": "constant", "value": 60},
            "max": repeats}},
        "heartbeat": {"interval": "1h"},
    }}}


def test_selected_devices_keep_their_ids_and_every_kind() -> None:
    scenario = tiny(users=[
        {"name": "a", "count": 90, "devices": ["safety_alarm"]},
        {"name": "b", "count": 10, "devices": ["medicine_dispenser", "gps_tracker"]},
    ])
    fleet = build_fleet(scenario, Streams(1, 0))
    chosen = select_devices(fleet, 20)
    counts = {kind: len(group.devices) for kind, group in chosen.groups.items()}
    assert sum(counts.values()) == 20
    assert counts["safety_alarm"] >= 15 and counts["medicine_dispenser"] >= 1
    assert counts["gps_tracker"] >= 1
    assert [p.device.device_id for p in chosen.groups["safety_alarm"].devices][:2] == [
        "sa-0001", "sa-0002"]
    assert select_devices(fleet, None) is fleet
    assert select_devices(fleet, 500) is fleet


def test_every_emulated_message_is_accepted_and_stamped_with_the_wall_clock() -> None:
    scenario = tiny(users=kit(3, ["safety_alarm", "gps_tracker"]), devices={
        "safety_alarm": {"events": {"heartbeat": {"interval": "1h"},
                                    "button_need": {"rate_per_day": 2.0}}},
        "gps_tracker": {"events": {"position": {"interval": "5min"}}},
    })
    sent: list[tuple[str, bytes]] = []
    emulation = build_emulation(scenario, 5, lambda t, p: sent.append((t, p)), speed=FAST)
    before = time.time()
    emulation.run(6 * 3600)
    verdicts = [decode_message(t, p, now_epoch_s=time.time()) for t, p in sent]
    assert all(isinstance(v, Accepted) for v in verdicts)
    messages = [v.message for v in verdicts if isinstance(v, Accepted)]
    assert all(before - 1 <= m.ts.timestamp() <= time.time() + 1 for m in messages)
    heartbeats = [m for m in messages if m.event == "heartbeat"]
    positions = [m for m in messages if m.event == "position"]
    assert len(heartbeats) == 3 * 6 and len(positions) == 3 * 6 * 12
    assert emulation.sender.counts.telemetry == len(heartbeats) + len(positions)
    first = next(m for m in messages if m.device_id == "sa-0001")
    assert (first.message_id, first.seq) == ("sa-0001-00000000", 0)


def test_unanswered_alarms_repeat_as_the_scenario_says() -> None:
    scenario = tiny(users=kit(2, ["safety_alarm"]), devices=alarms_with_repeats(repeats=2))
    emulation = build_emulation(scenario, 3, lambda t, p: None, speed=FAST)
    emulation.run(86_400)
    counts = emulation.sender.counts
    assert counts.alarms > 20
    assert counts.repeats == 2 * counts.alarms


def test_alarms_the_centre_acknowledges_are_not_repeated() -> None:
    scenario = tiny(users=kit(2, ["safety_alarm"]), devices=alarms_with_repeats())
    book: list[AnswerBook] = []

    def centre_acknowledges(topic: str, payload: bytes) -> None:
        body = orjson.loads(payload)
        reply = orjson.dumps({"message_id": body["message_id"]})
        book[0].offer(ack_topic("test", body["device_id"]), reply)

    emulation = build_emulation(scenario, 3, centre_acknowledges, speed=FAST)
    book.append(emulation.answers)
    emulation.run(86_400)
    assert emulation.sender.counts.alarms > 20
    assert emulation.sender.counts.repeats == 0
    emulation.answers.read_replies()
    assert emulation.answers.acks == emulation.sender.counts.sent


def book_with_alarm() -> AnswerBook:
    """A book with one open alarm of sa-0001 whose first message is ``m1``."""
    book = AnswerBook("lier")
    book.opened("sa-0001", "button_need")
    book.sent("sa-0001", "button_need", "m1")
    return book


def test_an_ack_answers_the_alarm_of_its_message_only() -> None:
    book = book_with_alarm()
    book.offer(ack_topic("lier", "sa-0001"), b'{"message_id": "other"}')
    assert book.awaiting_answer("sa-0001", "button_need")
    book.offer(ack_topic("lier", "sa-0001"), b'{"message_id": "m1"}')
    assert not book.awaiting_answer("sa-0001", "button_need")
    assert book.acks == 2


def test_once_the_centre_publishes_incident_states_only_an_answered_state_counts() -> None:
    book = book_with_alarm()
    state = {"device_id": "sa-0001", "event": "button_need", "state": "queued"}
    book.offer(incident_topic("lier", "i1"), orjson.dumps(state))
    book.offer(ack_topic("lier", "sa-0001"), b'{"message_id": "m1"}')
    assert book.awaiting_answer("sa-0001", "button_need")
    book.offer(incident_topic("lier", "i1"), orjson.dumps({**state, "state": "answered"}))
    assert not book.awaiting_answer("sa-0001", "button_need")
    assert book.incident_states == 2


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("vt/v1/drammen/centre/ack/sa-0001", b'{"message_id": "m1"}'),
        ("vt/v1/lier/centre/ack/sa-0001", b"not json"),
        ("vt/v1/lier/centre/rejected/sa-0001", b'{"reason": "schema"}'),
    ],
)
def test_replies_of_other_tenants_garbage_and_rejections_answer_nothing(
    topic: str, payload: bytes
) -> None:
    book = book_with_alarm()
    book.offer(topic, payload)
    assert book.awaiting_answer("sa-0001", "button_need")


def test_rejections_are_counted() -> None:
    book = book_with_alarm()
    book.offer("vt/v1/lier/centre/rejected/sa-0001", b"{}")
    book.read_replies()
    assert book.rejections == 1


def test_the_sim_clock_shows_day_and_time() -> None:
    assert sim_clock(0) == "day 1 00:00:00"
    assert sim_clock(86_400 + 3723.9) == "day 2 01:02:03"


def test_speed_must_be_positive() -> None:
    with pytest.raises(ValueError, match="speed"):
        build_emulation(tiny(), 1, lambda t, p: None, speed=0)


def test_two_runs_of_one_fleet_never_reuse_a_message_id() -> None:
    """A second ``vtsim emulate`` against the same centre: its messages are new, not repeats."""
    from devices.transport.base import InProcessTransport
    from vtsim.live.centre import LiveCentre

    scenario = tiny(users=kit(3, ["safety_alarm"]), devices={
        "safety_alarm": {"events": {"heartbeat": {"interval": "1h"},
                                    "button_need": {"rate_per_day": 4.0}}},
    })
    bus = InProcessTransport()
    verdicts: list[str] = []
    bus.subscribe("vt/v1/+/centre/#", lambda t, p: verdicts.append(t.split("/")[4]))
    LiveCentre(bus).start()
    ids: list[set[str]] = []
    for run_id in ("a1", "b2"):
        sent: list[bytes] = []

        def publish(topic: str, payload: bytes, sent: list[bytes] = sent) -> None:
            sent.append(payload)
            bus.publish(topic, payload)

        build_emulation(scenario, 5, publish, speed=FAST, run_id=run_id).run(6 * 3600)
        ids.append({orjson.loads(p)["message_id"] for p in sent})
    assert ids[0] and ids[1] and not ids[0] & ids[1]
    assert all(i.startswith("sa-000") and "-a1-" in i for i in ids[0])
    assert set(verdicts) == {"ack"}, "every message of both runs is acknowledged, none rejected"


def test_an_unanswered_alarm_is_resent_the_same_with_growing_jittered_waits() -> None:
    """The centre answers each alarm message only at its third copy: every copy is the very
    same message, and the waits between copies follow the resend rule (5 s, then up to 10 s,
    each shortened by up to half), in wall seconds (simulated seconds / speed)."""
    scenario = tiny(users=kit(1, ["safety_alarm"]), devices={"safety_alarm": {"events": {
        "button_need": {"rate_per_day": 48.0}}}})
    speed = 100.0
    env = Engine()  # simulated time, as fast as it goes
    answers = AnswerBook("test")
    copies: dict[str, list[tuple[float, bytes]]] = {}

    def centre_answers_the_third(topic: str, payload: bytes) -> None:
        body = orjson.loads(payload)
        seen = copies.setdefault(body["message_id"], [])
        seen.append((env.now / speed, payload))
        if len(seen) == 3:
            answers.offer(ack_topic("test", body["device_id"]),
                          orjson.dumps({"message_id": body["message_id"]}))

    streams = Streams(4, 0)
    fleet = build_fleet(scenario, streams)
    sender = EmulatedSender(env, scenario, streams, centre_answers_the_third, answers,
                            speed=speed)
    start_every_source(env, scenario, streams, fleet, sender)
    env.run(until=86_400)
    assert len(copies) >= 20
    finished = [seen for seen in copies.values() if len(seen) == 3]
    assert len(finished) >= len(copies) - 2  # the last ones may be cut by the horizon
    assert all(len(seen) <= 3 for seen in copies.values())
    assert all(len({payload for _, payload in seen}) == 1 for seen in copies.values())
    for seen in finished:
        first, second = seen[1][0] - seen[0][0], seen[2][0] - seen[1][0]
        assert 2.5 <= first <= 5.0 and 5.0 <= second <= 10.0, (first, second)
    assert sender.counts.resends == sum(len(seen) - 1 for seen in copies.values())
