"""Emulation: the scenario's device fleet in real time, publishing through any ``publish`` callable.

The same fleet (device ids, message ids, sequence numbers, payload encoding) and event sources
as a simulated run, on a :class:`sim.engine.RealtimeEngine` at ``speed`` times real time.
No centre is simulated: the centre is whatever listens on the broker. Every generated event
is sent (telemetry too, whatever the scenario's ``telemetry`` setting), and ``ts`` is the
wall clock at sending, so that a live centre's clock check accepts it at any speed.

Repeats of unanswered alarms follow the scenario's ``repeat`` settings; whether an alarm is
still unanswered is read from the centre's replies on the broker (:class:`AnswerBook`).
Besides, like a real device, each alarm message is sent again, the very same message, until
the centre answers it, by the contract's resend rule
(:data:`devices.contract.resend.DEFAULT_RESEND`: exponential waits with jitter, in wall time).

This module is engine-only: the MQTT side lives in :mod:`devices.transport.device_sessions` and the
``vtsim emulate`` command.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import orjson

from devices.contract.catalog import event_spec
from devices.contract.resend import DEFAULT_RESEND, ResendPolicy
from sim.engine import Engine, RealtimeEngine
from sim.model.arrivals import configured_sources
from sim.model.fleet import DeviceGroup, Fleet, FleetDevice, build_fleet
from sim.model.randomness import Streams
from sim.scenario.schema import Repeat, Scenario

Publish = Callable[[str, bytes], None]
"""Sends one payload on one topic (QoS 1); may block briefly while the broker catches up."""
WallClock = Callable[[], float]

ANSWERED_STATES: Final = frozenset({"answered", "handled", "closed", "resolved"})
"""Incident states that mean an operator has answered the alarm."""
ACK: Final = "ack"
REJECTED: Final = "rejected"
INCIDENTS: Final = "incidents"


# --- which devices ----------------------------------------------------------------------------


def select_devices(fleet: Fleet, limit: int | None) -> Fleet:
    """At most ``limit`` devices, shared among the kinds in proportion to the fleet.

    Each kind keeps its first devices (``sa-0001``, ``sa-0002``, ...), so the ids are the
    simulator's, and every kind of the fleet keeps at least one device when ``limit`` allows.
    """
    total = sum(len(g.devices) for g in fleet.groups.values())
    if limit is None or limit >= total:
        return fleet
    shares = kind_shares(fleet, limit, total)
    groups = {kind: first_devices(fleet.groups[kind], n) for kind, n in shares.items() if n}
    by_id = {p.device.device_id: p for g in groups.values() for p in g.devices}
    return Fleet(groups, by_id)


def kind_shares(fleet: Fleet, limit: int, total: int) -> dict[str, int]:
    """Devices per kind: proportional, at least one per kind, largest remainders first."""
    kinds = [k for k, g in fleet.groups.items() if g.devices]
    exact = {k: limit * len(fleet.groups[k].devices) / total for k in kinds}
    shares = {k: max(1, int(exact[k])) if limit >= len(kinds) else int(exact[k]) for k in kinds}
    by_remainder = sorted(kinds, key=lambda k: exact[k] - int(exact[k]), reverse=True)
    for kind in by_remainder:
        if sum(shares.values()) >= limit:
            break
        shares[kind] += 1
    return shares


def first_devices(group: DeviceGroup, count: int) -> DeviceGroup:
    """The group's first ``count`` devices with their rate weights."""
    return DeviceGroup(list(group.devices[:count]), list(group.weights[:count]))


# --- the centre's replies -----------------------------------------------------------------------


@dataclass(slots=True)
class AnswerBook:
    """What the centre on the broker said about the alarms sent, and whether each is answered.

    The rule: an alarm (device, event) is unanswered from its first message until the centre
    publishes an incident state for that device and event saying answered (or handled, closed,
    resolved). A centre that publishes only acknowledgements (``vtsim centre`` validates and
    acknowledges) counts as answering once it acknowledges one of the alarm's messages. With
    no reply at all (no centre on the broker) the alarm stays unanswered, and the device
    repeats it as the scenario says.

    :meth:`offer` may be called from any thread (the MQTT thread); the rest runs in the
    emulation's thread.
    """

    tenant: str
    acks: int = 0
    rejections: int = 0
    incident_states: int = 0
    _inbox: queue.SimpleQueue[tuple[str, bytes]] = field(default_factory=queue.SimpleQueue)
    _waiting: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    _alarm_of: dict[str, tuple[str, str]] = field(default_factory=dict)
    _unanswered: set[str] = field(default_factory=set)
    """Alarm messages (ids) sent and not yet answered by the centre: resent until they are."""

    def await_answer(self, message_id: str) -> None:
        """An alarm message sent: it is resent until the centre answers it."""
        self._unanswered.add(message_id)

    def message_answered(self, message_id: str) -> bool:
        """Whether the centre answered this message (after reading its latest replies)."""
        self.read_replies()
        return message_id not in self._unanswered

    def offer(self, topic: str, payload: bytes) -> None:
        """Take a message the centre published (thread-safe)."""
        self._inbox.put((topic, payload))

    def opened(self, device_id: str, event: str) -> None:
        """A new alarm: unanswered until the centre says otherwise."""
        self._forget(device_id, event)
        self._waiting[(device_id, event)] = set()

    def sent(self, device_id: str, event: str, message_id: str) -> None:
        """One more message of an open alarm (the first or a repeat)."""
        ids = self._waiting.get((device_id, event))
        if ids is not None:
            ids.add(message_id)
            self._alarm_of[message_id] = (device_id, event)

    def awaiting_answer(self, device_id: str, event: str) -> bool:
        """Whether the alarm is still unanswered, after reading the centre's latest replies."""
        self.read_replies()
        return (device_id, event) in self._waiting

    def read_replies(self) -> None:
        """Apply every reply received so far."""
        while True:
            try:
                topic, payload = self._inbox.get_nowait()
            except queue.Empty:
                return
            self._apply(topic, payload)

    def _apply(self, topic: str, payload: bytes) -> None:
        """Count one reply; close the alarm it answers, if any."""
        kind = centre_reply_kind(topic, self.tenant)
        body = json_object(payload)
        if kind == ACK:
            self.acks += 1
            self._unanswered.discard(str(body.get("message_id")))
            if not self.incident_states:
                self._answer_message(body.get("message_id"))
        elif kind == REJECTED:
            self.rejections += 1
            if body.get("reason") != "rate_limited":  # any other answer ends the resending
                self._unanswered.discard(str(body.get("message_id")))
        elif kind == INCIDENTS:
            self.incident_states += 1
            self._answer_incident(body)

    def _answer_message(self, message_id: object) -> None:
        """The centre acknowledged ``message_id``: its alarm counts as answered."""
        alarm = self._alarm_of.get(message_id) if isinstance(message_id, str) else None
        if alarm is not None:
            self._forget(*alarm)

    def _answer_incident(self, body: dict[str, object]) -> None:
        """An incident state: answered states close the device's alarm of that event."""
        state = body.get("state", body.get("status"))
        device_id, event = body.get("device_id"), body.get("event")
        if state in ANSWERED_STATES and isinstance(device_id, str) and isinstance(event, str):
            self._forget(device_id, event)

    def _forget(self, device_id: str, event: str) -> None:
        """Drop an alarm and its message ids."""
        for message_id in self._waiting.pop((device_id, event), ()):
            self._alarm_of.pop(message_id, None)


def centre_reply_kind(topic: str, tenant: str) -> str | None:
    """``ack``, ``rejected`` or ``incidents`` for ``vt/v1/{tenant}/centre/{kind}/...``."""
    levels = topic.split("/")
    if len(levels) < 5 or levels[:4] != ["vt", "v1", tenant, "centre"]:
        return None
    return levels[4] if levels[4] in (ACK, REJECTED, INCIDENTS) else None


def json_object(payload: bytes) -> dict[str, object]:
    """The JSON object in ``payload``, or an empty one for anything else."""
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


# --- sending ----------------------------------------------------------------------------------


@dataclass(slots=True)
class EmulationCounts:
    """Messages sent so far, by kind."""

    sent: int = 0
    alarms: int = 0
    repeats: int = 0
    telemetry: int = 0
    resends: int = 0
    """Copies of unanswered alarm messages sent again (the resend rule)."""


class EmulatedSender:
    """Turns each event into its device's next message and publishes it; repeats alarms.

    Uses the simulator's stream names (``devices/fields``, ``repeats/...``), so field values
    and repeat delays come from the same random sources as in a simulated run.
    """

    def __init__(self, env: Engine, scenario: Scenario, streams: Streams,
                 publish: Publish, answers: AnswerBook, clock: WallClock = time.time,
                 speed: float = 1.0, resend: ResendPolicy = DEFAULT_RESEND) -> None:
        self.env = env
        self.speed = speed
        """Simulated seconds per wall second: the resend rule's waits are wall seconds."""
        self.resend = resend
        self._resend_draw = streams.uniform("devices/resend")
        self.publish = publish
        self.answers = answers
        self.clock = clock
        self.counts = EmulationCounts()
        self._fields = streams.generator("devices/fields")
        self._repeats: dict[tuple[str, str], Repeat] = {
            (kind, event): config.repeat
            for kind, device in scenario.devices.items()
            for event, config in device.events.items()
            if config.repeat is not None
        }
        self._delays = {key: streams.sampler(f"repeats/{key[0]}.{key[1]}", repeat.after)
                        for key, repeat in self._repeats.items()}
        self._chances = {key: streams.uniform(f"repeats/{key[0]}.{key[1]}/chance")
                         for key in self._repeats}

    def emit(self, placed: FleetDevice, event: str) -> None:
        """An event happened on a device: send it, and watch for an answer if it repeats."""
        key = (placed.device.device_type, event)
        repeat = self._repeats.get(key)
        self.count(key)
        if repeat is None:
            self.send(placed, event)
            return
        self.answers.opened(placed.device.device_id, event)
        self.send(placed, event)
        self._schedule_repeat(placed, event, repeat, 1)

    def count(self, key: tuple[str, str]) -> None:
        """Count an event as an alarm or as telemetry/information."""
        if event_spec(*key).incident:
            self.counts.alarms += 1
        else:
            self.counts.telemetry += 1

    def send(self, placed: FleetDevice, event: str) -> None:
        """Publish the device's next message for ``event``, stamped with the wall clock; an
        alarm is resent until the centre answers it."""
        device = placed.device
        payload = device.make_message(event, self.clock(),
                                      device.sample_fields(event, self._fields))
        alarm = event_spec(device.device_type, event).incident
        if alarm or (device.device_type, event) in self._repeats:
            message_id = str(json_object(payload).get("message_id"))
            if (device.device_type, event) in self._repeats:
                self.answers.sent(device.device_id, event, message_id)
            if alarm:
                self.answers.await_answer(message_id)
                self._schedule_resend(device.topic(), payload, message_id, 1)
        self.publish(device.topic(), payload)
        self.counts.sent += 1

    def _schedule_resend(self, topic: str, payload: bytes, message_id: str,
                         attempt: int) -> None:
        """Send the same message again after the rule's wait unless answered by then."""
        wait = self.resend.wait(attempt, self._resend_draw) * self.speed
        self.env.call_after(wait, lambda: self._maybe_resend(topic, payload, message_id,
                                                             attempt))

    def _maybe_resend(self, topic: str, payload: bytes, message_id: str, attempt: int) -> None:
        """The wait is over: resend the unanswered message, and wait longer for the next."""
        if self.answers.message_answered(message_id):
            return
        self.publish(topic, payload)
        self.counts.sent += 1
        self.counts.resends += 1
        self._schedule_resend(topic, payload, message_id, attempt + 1)

    def _schedule_repeat(self, placed: FleetDevice, event: str, repeat: Repeat,
                         number: int) -> None:
        """Press again after the scenario's delay if still unanswered, up to ``repeat.max``."""
        delay = self._delays[(placed.device.device_type, event)]()
        self.env.call_after(delay, lambda: self._maybe_repeat(placed, event, repeat, number))

    def _maybe_repeat(self, placed: FleetDevice, event: str, repeat: Repeat,
                      number: int) -> None:
        chance = self._chances[(placed.device.device_type, event)]
        if not self.answers.awaiting_answer(placed.device.device_id, event):
            return
        if chance() >= repeat.probability:
            return
        self.send(placed, event)
        self.counts.repeats += 1
        if number < repeat.max:
            self._schedule_repeat(placed, event, repeat, number + 1)


# --- the whole emulation ------------------------------------------------------------------------


@dataclass(slots=True)
class Emulation:
    """A fleet emulated in real time: its environment, devices, sender and the centre's replies."""

    env: RealtimeEngine
    scenario: Scenario
    fleet: Fleet
    sender: EmulatedSender
    answers: AnswerBook
    speed: float

    @property
    def devices(self) -> list[FleetDevice]:
        """Every emulated device, kind by kind."""
        return [p for g in self.fleet.groups.values() for p in g.devices]

    def every(self, wall_s: float, action: Callable[[], None]) -> None:
        """Call ``action`` every ``wall_s`` seconds of real time (in simulated time, scaled)."""
        def tick() -> None:
            action()
            self.env.call_after(wall_s * self.speed, tick)
        self.env.call_after(wall_s * self.speed, tick)

    def run(self, until: float) -> None:
        """Run until simulated time ``until`` (``KeyboardInterrupt`` stops it early)."""
        self.env.run_until(until)


def build_emulation(scenario: Scenario, seed: int, publish: Publish, *, speed: float,
                    devices: int | None = None, clock: WallClock = time.time,
                    run_id: str | None = None) -> Emulation:
    """The scenario's fleet (at most ``devices`` of it) sending at ``speed`` × real time; with a
    ``run_id``, every message id carries it (see ``Device.name_messages_by_run``)."""
    if speed <= 0:
        raise ValueError(f"speed must be positive, got {speed}")
    env = RealtimeEngine(factor=1.0 / speed, strict=False)
    streams = Streams(seed, 0)
    fleet = select_devices(build_fleet(scenario, streams), devices)
    if run_id is not None:
        for group in fleet.groups.values():
            for member in group.devices:
                member.device.name_messages_by_run(run_id)
    answers = AnswerBook(scenario.tenant)
    sender = EmulatedSender(env, scenario, streams, publish, answers, clock, speed)
    start_every_source(env, scenario, streams, fleet, sender)
    return Emulation(env, scenario, fleet, sender, answers, speed)


def start_every_source(env: Engine, scenario: Scenario, streams: Streams,
                       fleet: Fleet, sender: EmulatedSender) -> None:
    """Start every event source of the emulated devices: alarms, information and telemetry."""
    for _device_type, _event, source in configured_sources(env, scenario, streams, fleet):
        source.run(sender.emit, scenario.horizon)


def sim_clock(seconds: float) -> str:
    """Simulated time as ``day N HH:MM:SS`` (day 1 starts at the scenario's midnight)."""
    day, rest = divmod(int(seconds), 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"day {day + 1} {hours:02d}:{minutes:02d}:{secs:02d}"
