"""One set of centre rules: the same cases, the same decisions, in all three centres.

Every case is a timeline of device messages. Each runs through the real entry point of the
simulated centre (its transport subscription, on the SimPy clock), the live centre (on the
in-process bus, with the memory store and with a SQLite store) and the training centre (its
subscription, on the scenario clock), and each centre's decisions are read from its own
records: the simulation's message and incident records, the live centre's answers and stored
incidents, the training centre's judgements and incident states. All must agree exactly: where
each message ended (place), the reason beyond it (``id_conflict``, a decoder reason), which
incident it opened or joined, and each incident's priority and number of messages.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
import simpy

from devices.contract.catalog import event_spec
from devices.contract.codec import decode_message, format_ts
from devices.contract.examples import example_message
from devices.contract.reception import (
    CLOCK_OFF,
    CORRELATED,
    DEDUP_WINDOW_S,
    DUPLICATE,
    ID_CONFLICT,
    INCIDENT,
    INFO,
    NEW,
    REJECTED,
    MessageMemory,
    OpenIncidents,
    answer_reason,
    priority_of,
)
from devices.transport.base import InProcessTransport
from devices.transport.mqtt import BrokerAddress, MqttTransport, ReceivedMessage
from sim.model.centre import ResponseCentre
from sim.model.fleet import build_fleet
from sim.model.randomness import Streams
from sim.model.records import RunLog
from sim.scenario.schema import Scenario
from tests.centre_process import CentreProcess, stored_rows, wait_for
from tests.scenario_factory import tiny
from vtsim.live.centre import Answer, LiveCentre
from vtsim.live.store import CENTRE_KINDS, CentreStore, open_store
from vtsim.training.centre import TrainingCentre

EPOCH = 1_767_600_000.0
"""Time 0 of every case (2026-01-05T08:00:00Z), in epoch seconds."""
TENANT = "test"
A, B = "sa-0001", "sa-0002"
KIND = "safety_alarm"


def message(device_id: str, event: str, seq: int, at: float, *, message_id: str | None = None,
            kind: str = KIND, **changes: object) -> bytes:
    """A valid message of ``event`` from ``device_id`` with ``ts`` at case time ``at``."""
    body: dict[str, Any] = example_message(event_spec(kind, event))
    body.update(device_id=device_id, seq=seq, ts=format_ts(EPOCH + at),
                message_id=message_id or f"{device_id}-{seq:08d}")
    body.update(changes)
    return orjson.dumps(body)


def topic_of(device_id: str, kind: str = KIND) -> str:
    """The events topic of a device of the case tenant."""
    return f"vt/v1/{TENANT}/{kind}/{device_id}/events"


@dataclass(frozen=True)
class Sent:
    """One message of a case: when it reaches the centre, on which topic, with which bytes."""

    at: float
    topic: str
    payload: bytes


def sent(at: float, device_id: str, event: str, seq: int, *, stamped: float | None = None,
         **options: Any) -> Sent:
    """A message reaching the centre at case time ``at``, stamped ``stamped`` (default: ``at``;
    an earlier time for a copy of an earlier message)."""
    stamp = at if stamped is None else stamped
    return Sent(at, topic_of(device_id), message(device_id, event, seq, stamp, **options))


Decision = tuple[str, str, int | None]
"""Where a message ended, the reason beyond it, and the incident (numbered in order opened)."""


@dataclass(frozen=True)
class Case:
    """A timeline and the decisions every centre must take on it."""

    name: str
    messages: tuple[Sent, ...]
    decisions: tuple[Decision, ...]
    incidents: tuple[tuple[int, int], ...] = ()
    """Each incident's (priority, messages), in the order opened."""


CASES = (
    Case("the same message again is a duplicate",
         (sent(0, A, "button_need", 1), sent(5, A, "button_need", 1, stamped=0)),
         ((INCIDENT, "", 1), (DUPLICATE, "", None)), ((2, 1),)),
    Case("an alarm under a heartbeat's id is an incident, flagged id_conflict",
         (sent(0, A, "heartbeat", 7, message_id="x-1"),
          sent(10, A, "fall_detected", 8, message_id="x-1")),
         ((INFO, "", None), (INCIDENT, ID_CONFLICT, 1)), ((1, 1),)),
    Case("a counter reset after a reboot reuses ids: the alarm is still handled",
         (sent(0, A, "button_need", 1), sent(3_600, A, "button_need", 1)),
         ((INCIDENT, "", 1), (INCIDENT, ID_CONFLICT, 2)), ((2, 1), (2, 1))),
    Case("a copy of the conflicting message is a duplicate of it",
         (sent(0, A, "button_need", 1, message_id="m"),
          sent(10, A, "fall_detected", 2, message_id="m"),
          sent(12, A, "fall_detected", 2, message_id="m", stamped=10),
          sent(14, A, "button_need", 1, message_id="m", stamped=0)),
         ((INCIDENT, "", 1), (INCIDENT, ID_CONFLICT, 2), (DUPLICATE, "", None),
          (DUPLICATE, "", None)), ((2, 1), (1, 1))),
    Case("repeats join within the correlation window of the first message",
         (sent(0, A, "button_need", 1), sent(300, A, "button_need", 2),
          sent(700, A, "button_need", 3), sent(800, A, "button_need", 4)),
         ((INCIDENT, "", 1), (CORRELATED, "", 1), (INCIDENT, "", 2), (CORRELATED, "", 2)),
         ((2, 2), (2, 2))),
    Case("a repeat under a reused id joins its incident, flagged",
         (sent(0, A, "button_need", 1), sent(60, A, "button_need", 2, message_id=f"{A}-00000001"),
          sent(61, A, "button_need", 2, message_id=f"{A}-00000001", stamped=60)),
         ((INCIDENT, "", 1), (CORRELATED, ID_CONFLICT, 1), (DUPLICATE, "", None)),
         ((2, 2),)),
    Case("another event or another device opens its own incident",
         (sent(0, A, "button_need", 1), sent(10, A, "fall_detected", 2),
          sent(20, B, "button_need", 1), sent(30, B, "button_need", 2)),
         ((INCIDENT, "", 1), (INCIDENT, "", 2), (INCIDENT, "", 3), (CORRELATED, "", 3)),
         ((2, 1), (1, 1), (2, 2))),
    Case("priorities come from the catalog; information opens nothing",
         (sent(0, A, "battery_low", 1), sent(1, A, "fall_detected", 2),
          sent(2, A, "heartbeat", 3), sent(3, A, "heartbeat", 3, stamped=2)),
         ((INCIDENT, "", 1), (INCIDENT, "", 2), (INFO, "", None), (DUPLICATE, "", None)),
         ((4, 1), (1, 1))),
    Case("bad input is rejected with the decoder's reason and remembers nothing",
         (Sent(0, topic_of(A), b"{not json"),
          sent(1, A, "button_need", 1, battery_pct=150),
          Sent(2, topic_of(B), message(A, "button_need", 1, 2)),
          sent(3, A, "heartbeat", 1, ts=format_ts(EPOCH + 2 * 365 * 86_400)),
          sent(4, A, "button_need", 1)),
         ((REJECTED, "not_json", None), (REJECTED, "schema", None),
          (REJECTED, "topic_mismatch", None), (REJECTED, "ts_in_future", None),
          (INCIDENT, "", 1)), ((2, 1),)),
    Case("an alarm is never refused for the device's clock (years ahead, behind, 1970)",
         (sent(0, A, "button_need", 1, ts=format_ts(EPOCH + 2 * 365 * 86_400)),
          sent(1, A, "fall_detected", 2, ts=format_ts(EPOCH - 2 * 365 * 86_400)),
          sent(2, A, "battery_low", 3, ts=format_ts(0)),
          sent(3, A, "button_need", 4, ts=format_ts(0))),
         ((INCIDENT, CLOCK_OFF, 1), (INCIDENT, CLOCK_OFF, 2), (INCIDENT, CLOCK_OFF, 3),
          (CORRELATED, CLOCK_OFF, 1)), ((2, 2), (1, 1), (4, 1))),
)


@dataclass
class Outcome:
    """What one centre decided on a case, in the suite's terms."""

    decisions: list[Decision] = field(default_factory=list)
    incidents: list[tuple[int, int]] = field(default_factory=list)


class Numbering:
    """Numbers a centre's own incident ids 1, 2, … in the order they first appear."""

    def __init__(self) -> None:
        self.numbers: dict[object, int] = {}

    def __call__(self, ident: object | None) -> int | None:
        if ident is None:
            return None
        return self.numbers.setdefault(ident, len(self.numbers) + 1)


# --- the three centres, driven through their entry points -----------------------------------


def scenario() -> Scenario:
    """A small scenario of the case tenant with the default correlation window."""
    return tiny(users=[{"name": "u", "count": 2, "devices": [KIND]}],
                training={"start": "00:00", "duration": "1d"})


def run_simulated(case: Case) -> Outcome:
    """The simulated centre on the SimPy clock, fed through its transport subscription; no
    operator is on duty, so incidents stay open as in the other centres."""
    plan = scenario()
    env = simpy.Environment()
    streams = Streams(1, 0)
    fleet = build_fleet(plan, streams)
    log = RunLog()
    log.expect_devices(fleet.by_id)
    centre = ResponseCentre(env, plan, streams, fleet, log, 0, EPOCH, lambda _incident: None)
    bus = InProcessTransport()
    bus.subscribe(f"vt/v1/{TENANT}/+/+/events", centre.receive)
    for item in case.messages:
        env.run(until=item.at) if item.at > env.now else None
        bus.publish(item.topic, item.payload)
    centre.record_unfinished()
    log.pack()
    number = Numbering()
    outcome = Outcome([(m.place, m.reason, number(m.incident_id if m.incident_id >= 0 else None))
                       for m in log.messages])
    by_number = {number(r.incident_id): (r.priority, r.messages) for r in log.incidents}
    outcome.incidents = [by_number[n] for n in sorted(by_number)]
    return outcome


def run_live(case: Case, store: CentreStore) -> Outcome:
    """The live centre on the in-process bus, its clock at each message's time."""
    clock = [EPOCH]
    answers: list[Answer] = []
    bus = InProcessTransport()
    centre = LiveCentre(bus, tenant=TENANT, clock=lambda: clock[0], store=store,
                        on_answer=answers.append)
    centre.start()
    for item in case.messages:
        clock[0] = EPOCH + item.at
        bus.publish(item.topic, item.payload)
    number = Numbering()
    outcome = Outcome()
    for answer in answers:
        place = answer.place or REJECTED
        reason = "" if answer.verdict in ("accepted", DUPLICATE) else answer.verdict
        if answer.clock_off:
            reason = CLOCK_OFF
        outcome.decisions.append((place, reason, number(answer.incident_id)))
        assert answer_reason(place, reason) == (None if answer.verdict == "accepted"
                                                else answer.verdict)
    held = {i.incident_id: (i.priority, i.messages) for i in store.resume(TENANT).open_incidents
            if i.kind not in CENTRE_KINDS}
    outcome.incidents = [held[ident] for ident in number.numbers]
    return outcome


def run_training(case: Case) -> Outcome:
    """The training centre with no seat staffed, on the scenario clock."""
    plan = scenario()
    clock = [0.0]
    bus = InProcessTransport()
    fleet = build_fleet(plan, Streams(1, 0))
    centre = TrainingCentre(plan, bus, fleet, lambda: clock[0], session_id="rules", seats=0,
                            seed=1, wall=lambda: EPOCH + clock[0])
    outcome = Outcome()
    number = Numbering()
    centre.on_judged = lambda place, reason, ident: outcome.decisions.append(
        (place, reason, number(ident)))
    centre.start()
    for item in case.messages:
        clock[0] = item.at
        bus.publish(item.topic, item.payload)
    outcome.incidents = [(centre.incidents[ident].state.priority,  # type: ignore[index]
                          centre.incidents[ident].state.messages)  # type: ignore[index]
                         for ident in number.numbers]
    return outcome


CENTRES: dict[str, Callable[[Case, Path], Outcome]] = {
    "simulated": lambda case, _tmp: run_simulated(case),
    "live (memory)": lambda case, _tmp: run_live(case, open_store("memory:")),
    "live (SQLite)": lambda case, tmp: run_live(case, open_store(f"sqlite:///{tmp / 'c.db'}")),
    "training": lambda case, _tmp: run_training(case),
}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
@pytest.mark.parametrize("centre", list(CENTRES))
def test_every_centre_takes_the_same_decisions(case: Case, centre: str, tmp_path: Path) -> None:
    outcome = CENTRES[centre](case, tmp_path)
    assert outcome.decisions == list(case.decisions)
    assert outcome.incidents == list(case.incidents)


def test_the_centres_agree_on_a_long_mixed_stream(tmp_path: Path) -> None:
    """All cases one after another, a day apart (the correlation window passes, the duplicate
    window does not): every centre decides the same, message for message."""
    messages = tuple(Sent(item.at + day * 86_400.0, item.topic, shifted(item.payload, day))
                     for day, case in enumerate(CASES) for item in case.messages)
    stream = Case("all", messages, ())
    outcomes = {name: run(stream, tmp_path) for name, run in CENTRES.items()}
    first = outcomes["simulated"]
    assert len(first.decisions) == len(messages)
    for name, outcome in outcomes.items():
        assert outcome == first, name


def shifted(payload: bytes, days: int) -> bytes:
    """A case's payload moved ``days`` later (its ``ts``), so the stream's clock checks pass."""
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return payload
    ts = body.get("ts")
    if isinstance(ts, str) and ts.startswith("2026-01-05"):
        epoch = decode_ts(ts) + days * 86_400.0
        body["ts"] = format_ts(epoch)
    return orjson.dumps(body)


def decode_ts(ts: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(ts).timestamp()


# --- the rules themselves -------------------------------------------------------------------


def decoded(payload: bytes, topic: str = topic_of(A)) -> tuple[str, str, int, Any]:
    """What the memory is told of a message: its id, event, seq and ts."""
    message = decode_message(topic, payload).message  # type: ignore[union-attr]
    return message.message_id, message.event, message.seq, message.ts


def test_message_ids_are_remembered_for_the_window_and_memory_stays_bounded() -> None:
    memory = MessageMemory()
    first = decoded(message(A, "button_need", 1, 0))
    topic = topic_of(A)
    assert memory.check_in(topic, *first, 0.0) == NEW
    assert memory.check_in(topic, *first, DEDUP_WINDOW_S) == DUPLICATE  # still remembered
    assert memory.check_in(topic_of(B), *first, 1.0) == NEW  # ids are each device's own
    for number in range(1, 50):  # a message an hour for many windows: old ids are dropped
        moment = number * DEDUP_WINDOW_S / 8
        assert memory.check_in(topic, *decoded(message(A, "heartbeat", 100 + number, 0)),
                               moment) == NEW
    assert len(memory) <= 17
    assert memory.check_in(topic, *first, 50 * DEDUP_WINDOW_S) == NEW  # forgotten: new again


def test_an_id_used_again_after_its_window_is_kept_for_a_full_window_from_its_new_use() -> None:
    """The sweep stops at a device's first id still within the window: an id taken again
    after being forgotten moves to the back, so it neither shields older ids from the sweep
    nor is forgotten early."""
    memory, topic = MessageMemory(), topic_of(A)
    reused = decoded(message(A, "button_need", 1, 0, message_id="r"))
    assert memory.check_in(topic, *reused, 0.0) == NEW
    for number in range(8):  # one more id every window/8
        later = decoded(message(A, "heartbeat", 10 + number, 0))
        assert memory.check_in(topic, *later, number * DEDUP_WINDOW_S / 8 + 1.0) == NEW
    at_window = decoded(message(A, "heartbeat", 20, 0))
    assert memory.check_in(topic, *at_window, DEDUP_WINDOW_S) == NEW  # a sweep: none expired
    again = DEDUP_WINDOW_S + 2.0  # "r" forgotten, not yet swept: new again under its id
    assert memory.check_in(topic, *reused, again) == NEW
    last = decoded(message(A, "heartbeat", 30, 0))
    assert memory.check_in(topic, *last, 2 * DEDUP_WINDOW_S + 1.0) == NEW
    assert len(memory) == 2  # swept: every id but "r" (in its new window) and the newest
    assert memory.check_in(topic, *reused, again + DEDUP_WINDOW_S - 1.0) == DUPLICATE


def test_a_conflicting_content_is_remembered_beside_the_first() -> None:
    memory = MessageMemory()
    topic = topic_of(A)
    press, fall = (decoded(message(A, event, 1, 0, message_id="m"))
                   for event in ("button_need", "fall_detected"))
    assert [memory.check_in(topic, *m, t) for m, t in
            ((press, 0.0), (fall, 1.0), (fall, 2.0), (press, 3.0))] == [
        NEW, ID_CONFLICT, DUPLICATE, DUPLICATE]
    later = decoded(message(A, "button_need", 1, 5.0, message_id="m"))  # another ts
    assert memory.check_in(topic, *later, 4.0) == ID_CONFLICT
    # The first copy is forgotten before the conflict is: a copy of the conflict is still one.
    assert memory.check_in(topic, *fall, DEDUP_WINDOW_S + 0.5) == DUPLICATE
    assert memory.check_in(topic, *press, DEDUP_WINDOW_S + 0.7) == ID_CONFLICT


def test_the_same_instant_in_another_notation_is_the_same_content() -> None:
    memory = MessageMemory()
    utc = decoded(message(A, "button_need", 1, 0))
    oslo = decoded(message(A, "button_need", 1, 0, ts="2026-01-05T09:00:00.000+01:00"))
    assert memory.check_in(topic_of(A), *utc, 0.0) == NEW
    assert memory.check_in(topic_of(A), *oslo, 1.0) == DUPLICATE


def test_an_incident_takes_repeats_within_the_window_until_it_closes() -> None:
    incidents: OpenIncidents[str] = OpenIncidents(600.0)
    incidents.opened("t", "fall", "first", 0.0)
    assert incidents.joinable("t", "fall", 600.0) == "first"
    assert incidents.joinable("t", "fall", 600.5) is None
    assert incidents.joinable("t", "button_need", 1.0) is None
    incidents.closed("t", "fall", "another")  # not the one held: nothing happens
    assert incidents.get("t", "fall") == "first"
    incidents.closed("t", "fall", "first")
    assert incidents.joinable("t", "fall", 1.0) is None
    with pytest.raises(ValueError, match="correlation window"):
        OpenIncidents(-1.0)


def test_a_scenario_priority_wins_over_the_catalog() -> None:
    assert priority_of(KIND, "battery_low") == event_spec(KIND, "battery_low").default_priority
    assert priority_of(KIND, "battery_low", {(KIND, "battery_low"): 2}) == 2
    plan = tiny(users=[{"name": "u", "count": 1, "devices": [KIND]}],
                devices={KIND: {"events": {"battery_low": {"priority": 2}}}},
                training={"start": "00:00", "duration": "1d"})
    env = simpy.Environment()
    streams = Streams(1, 0)
    fleet = build_fleet(plan, streams)
    simulated = ResponseCentre(env, plan, streams, fleet, RunLog(), 0, EPOCH, lambda _i: None)
    training = TrainingCentre(plan, InProcessTransport(), fleet, lambda: 0.0, session_id="p",
                              seats=0, seed=1, wall=lambda: EPOCH)
    assert simulated.policy(KIND, "battery_low").priority == 2
    assert training.reception.priority(KIND, "battery_low") == 2


# --- on the wire: the real command on a real Mosquitto --------------------------------------


@pytest.fixture
def centre_on_mosquitto(mosquitto_broker: BrokerAddress, tenant: str,
                        tmp_path: Path) -> Iterator[tuple[CentreProcess, Path, str]]:
    """``vtsim centre`` on Mosquitto, storing into a SQLite file."""
    db = tmp_path / "centre.db"
    centre = CentreProcess(mosquitto_broker, tenant, db, tmp_path / "centre.log")
    try:
        yield centre, db, tenant
    finally:
        centre.stop()


def test_mosquitto_pub_with_a_reused_message_id_still_raises_the_alarm(
    centre_on_mosquitto: tuple[CentreProcess, Path, str], mosquitto_broker: BrokerAddress,
) -> None:
    _centre, db, tenant = centre_on_mosquitto
    topic = f"vt/v1/{tenant}/{KIND}/{A}/events"
    answers: list[ReceivedMessage] = []
    observer = MqttTransport(mosquitto_broker, f"observer-{tenant}")
    observer.subscribe_messages(f"vt/v1/{tenant}/centre/+/{A}", answers.append)
    observer.connect()
    now = time.time() - EPOCH  # case time of the wall clock
    heartbeat = message(A, "heartbeat", 41, now, message_id=f"{A}-reused")
    alarm = message(A, "fall_detected", 42, now + 1, message_id=f"{A}-reused")
    for payload in (heartbeat, alarm, alarm):  # the alarm's second copy is a redelivery
        subprocess.run(["mosquitto_pub", "-h", mosquitto_broker.host, "-p",
                        str(mosquitto_broker.port), "-q", "1", "-t", topic, "-m",
                        payload.decode()], check=True, timeout=10)

    def places() -> list[tuple[object, ...]]:
        return stored_rows(db, "SELECT event, place, reason FROM messages ORDER BY id")

    wait_for(lambda: observer.drain(timeout=0.05) >= 0 and len(answers) == 3, 20.0,
             "the centre's three answers")
    observer.close()
    assert [(m.topic.split("/")[4], orjson.loads(m.payload).get("reason")) for m in answers] == [
        ("ack", None), ("rejected", ID_CONFLICT), ("rejected", DUPLICATE)]
    assert places() == [("heartbeat", INFO, ""), ("fall_detected", INCIDENT, ID_CONFLICT)]
    assert stored_rows(db, "SELECT kind, message_id, priority, state FROM incidents") == [
        ("fall_detected", f"{A}-reused", 1, "open")]
    assert stored_rows(db, "SELECT reason FROM rejections") == [(DUPLICATE,)]


def test_vtsim_centre_takes_the_correlation_window_it_is_given(
    mosquitto_broker: BrokerAddress, tenant: str, tmp_path: Path,
) -> None:
    db = tmp_path / "centre.db"
    centre = CentreProcess(mosquitto_broker, tenant, db, tmp_path / "centre.log",
                           "--correlation-window", "0")
    try:
        topic = f"vt/v1/{tenant}/{KIND}/{A}/events"
        now = time.time() - EPOCH
        for seq in (1, 2):  # the same alarm twice: with no window, each is an incident
            subprocess.run(["mosquitto_pub", "-h", mosquitto_broker.host, "-p",
                            str(mosquitto_broker.port), "-q", "1", "-t", topic, "-m",
                            message(A, "button_need", seq, now + seq).decode()],
                           check=True, timeout=10)
        wait_for(lambda: db.exists() and len(stored_rows(db, "SELECT * FROM messages")) == 2,
                 20.0, "both alarms stored")
        assert stored_rows(db, "SELECT place FROM messages ORDER BY id") == [
            (INCIDENT,), (INCIDENT,)]
    finally:
        centre.stop()
