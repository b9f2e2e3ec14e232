"""One training session: the scenario clock, the fleet, the training centre and their loop.

The loop runs in one thread: it delivers received messages (``drain`` on MQTT transports), plays
the fleet up to the scenario clock, runs due steps of simulated operators, applies commands that
other threads (the console's web server, the terminal's keys) queued in :attr:`commands`, and
publishes what they queued in :attr:`outbox`. Control commands also arrive on the centre's control
topic, from ``vtsim control``; the session obeys only those signed with its secret, fresh and
not seen before (:meth:`TrainingSession.on_control`).

Faults: when a broker connection drops, the session pauses itself and says why
(:attr:`TrainingCentre.pause_reason`, also told to the local console directly, since the
broker cannot carry it). Every device message the fleet sends is kept in an :class:`AlarmLedger`
until the centre has received it, and sent again after the broker returns, so no alarm is lost;
the centre drops the repeats as duplicates. Then the clock runs on.
"""

from __future__ import annotations

import collections
import datetime as dt
import math
import queue
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import orjson
from pydantic import ValidationError

from devices.contract.centre_actions import (
    CONTROL_FRESH_S,
    ControlCommand,
    control_subscription,
)
from devices.contract.signing import verified
from devices.transport.base import Handler, Transport
from devices.transport.mqtt import MqttError
from sim.realtime.training import (
    ScenarioClock,
    TrainingError,
    TrainingFleet,
    session_seats,
    training_of,
)
from sim.scenario.schema import Scenario
from vtsim.training.centre import TrainingCentre

SESSION_STATE_EVERY = 2.0
"""Real seconds between session-state messages (consoles also get one on every change)."""
LONGEST_WAIT = 0.05
"""Longest real wait between loop rounds, so that queued publishes and keys stay snappy."""
RESEND_AFTER = 3.0
"""Real seconds after which a device message the centre has not received is sent again."""
SETTLE_S = 1.0
"""Real seconds every broker connection must have been back before the clock runs again."""
LEDGER_LIMIT = 200_000
NONCES_KEPT = 10_000
BROKER_DOWN = ("Forbindelsen til meldingsserveren (MQTT) er brutt. Økten står på pause til "
               "den er tilbake; alarmer som kommer i mellomtiden blir tatt vare på.")


class Drains(Protocol):
    """A transport that delivers received messages when asked (the MQTT transport)."""

    def drain(self, timeout: float = 0.0, max_messages: int | None = None) -> int: ...


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message queued by another thread, published by the loop."""

    topic: str
    payload: bytes
    retain: bool = False


@dataclass(slots=True)
class Unconfirmed:
    """A device message sent but not yet received by the centre."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    sent: float


class AlarmLedger:
    """The fleet's transport, keeping every device message until the centre has it.

    A publish the broker cannot take now (it is away) is kept too. :meth:`resend` sends again
    what the centre has not received after :data:`RESEND_AFTER` seconds.
    """

    def __init__(self, inner: Transport, real: Callable[[], float] = time.monotonic) -> None:
        self.inner = inner
        self.unconfirmed: collections.OrderedDict[str, Unconfirmed] = collections.OrderedDict()
        self.sent = 0
        self.resent = 0
        self.failed = 0
        self.overflow = 0
        self.holding = False
        self._real = real

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> None:
        """Keep the message (by its ``message_id``), then hand it on unless holding."""
        key = message_key(payload)
        self.sent += 1
        if key is not None:
            if len(self.unconfirmed) >= LEDGER_LIMIT:
                self.unconfirmed.popitem(last=False)
                self.overflow += 1
            self.unconfirmed[key] = Unconfirmed(topic, payload, qos, retain, self._real())
        if not self.holding:
            self._send(topic, payload, qos, retain)

    def subscribe(self, pattern: str, handler: Handler) -> None:
        """Subscriptions go straight to the inner transport."""
        self.inner.subscribe(pattern, handler)

    def confirm(self, payload: bytes) -> None:
        """The centre received this message."""
        key = message_key(payload)
        if key is not None:
            self.unconfirmed.pop(key, None)

    def resend(self, older_than: float = RESEND_AFTER) -> int:
        """Send again what the centre has not received for ``older_than`` seconds."""
        now, count = self._real(), 0
        for entry in list(self.unconfirmed.values()):
            if now - entry.sent < older_than:
                break
            entry.sent = now
            self._send(entry.topic, entry.payload, entry.qos, entry.retain)
            self.resent += 1
            count += 1
        if count:  # oldest first again, by when they were last sent
            self.unconfirmed = collections.OrderedDict(
                sorted(self.unconfirmed.items(), key=lambda item: item[1].sent))
        return count

    def _send(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        try:
            self.inner.publish(topic, payload, qos=qos, retain=retain)
        except MqttError:
            self.failed += 1  # kept in the ledger; sent again by resend()


def message_key(payload: bytes) -> str | None:
    """The ``message_id`` of a device message, or None if it has none."""
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    key = body.get("message_id") if isinstance(body, dict) else None
    return key if isinstance(key, str) else None


class TrainingSession:
    """Plays one training scenario in real time (times ``speed``) for a training centre."""

    def __init__(self, scenario: Scenario, centre_transport: Transport,
                 fleet_transport: Transport, *, speed: float = 1.0, seats: int | None = None,
                 seed: int | None = None, session_id: str | None = None,
                 extra_pumps: Sequence[object] = (), secret: str | None = None,
                 real: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        training = training_of(scenario)
        self.scenario = scenario
        self.transport = centre_transport
        self.secret = secret or secrets.token_urlsafe(24)
        """The session's secret: signs its messages; trainer token of console and CLI."""
        self.key = self.secret.encode()
        self.clock = ScenarioClock(training.start_s, speed, paused=True, real=real)
        self.session_id = session_id or dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        seed = scenario.seed if seed is None else seed
        self.centre: TrainingCentre
        self.ledger = AlarmLedger(fleet_transport, real)
        self.fleet = TrainingFleet(scenario, self.ledger, seed,
                                   awaiting_answer=self._awaiting_answer)
        self.centre = TrainingCentre(
            scenario, centre_transport, self.fleet.fleet, self.clock.now,
            session_id=self.session_id, seats=session_seats(scenario) if seats is None else seats,
            seed=seed, key=self.key,
        )
        self.centre.speed = speed
        self.centre.on_received = self.ledger.confirm
        self.outbox: queue.Queue[Outgoing] = queue.Queue()
        self.commands: queue.Queue[ControlCommand] = queue.Queue()
        self.stopped = threading.Event()
        self.on_change: Callable[[], None] = lambda: None
        """Called (in the loop's thread) after every change of phase or pause reason."""
        self.forged_controls = 0
        self._pumps = [t for t in (centre_transport, fleet_transport, *extra_pumps)
                       if hasattr(t, "drain")]
        self._links = [t for t in (centre_transport, fleet_transport, *extra_pumps)
                       if hasattr(t, "connected")]
        self._nonces: collections.deque[str] = collections.deque(maxlen=NONCES_KEPT)
        self._next_state = 0.0
        self._next_resend = 0.0
        self._up_since: float | None = None
        self._auto_paused = False
        self._real = real
        self._wall = wall

    def _awaiting_answer(self, device_id: str, event: str) -> bool:
        return self.centre.awaiting_answer(device_id, event)

    def start(self) -> None:
        """Bring the fleet to the session start, open the centre and start the clock."""
        if self.centre.seats < 1:
            raise TrainingError("the session has no operator seats; give --seats 1 or more")
        self.fleet.fast_forward()
        self.transport.subscribe(control_subscription(self.scenario.tenant), self.on_control)
        self.centre.start()
        self.clock.resume()
        self.centre.phase = "running"
        self.centre.publish_session()

    # control -----------------------------------------------------------------------------
    def on_control(self, _topic: str, payload: bytes) -> None:
        """A control command from the broker: obeyed only if signed, fresh and new."""
        try:
            command = ControlCommand.model_validate_json(payload)
        except ValidationError:
            self.forged_controls += 1
            return
        if not self.authentic(command):
            self.forged_controls += 1
            return
        self._nonces.append(command.nonce)
        self.control(command)

    def authentic(self, command: ControlCommand) -> bool:
        """Signed with the session's secret, sent within the last minute, nonce not seen."""
        if not command.nonce or command.ts is None or command.nonce in self._nonces:
            return False
        age = abs(self._wall() - command.ts.timestamp())
        return age <= CONTROL_FRESH_S and verified(command, self.key)

    def control(self, command: ControlCommand) -> None:
        """Pause, resume, change speed, inject a scripted event or stop."""
        centre = self.centre
        if command.command == "pause" and centre.phase == "running":
            self.clock.pause()
            centre.phase = "paused"
        elif command.command == "resume" and centre.phase == "paused" \
                and not self._auto_paused:
            self.clock.resume()
            centre.phase = "running"
        elif command.command == "speed" and command.speed is not None:
            self.clock.set_speed(command.speed)
            centre.speed = command.speed
        elif command.command == "inject" and command.script is not None \
                and centre.phase in ("running", "paused"):
            centre.expect_now(command.script)
            self.fleet.inject(command.script)
        elif command.command == "stop":
            self.clock.pause()
            centre.phase = "stopped"
            self.stopped.set()
        centre.publish_session()
        self.on_change()

    # faults ------------------------------------------------------------------------------
    def watch_broker(self) -> None:
        """Pause while a broker connection is down; resend and run on once all are back."""
        down = any(not t.connected for t in self._links)
        centre = self.centre
        if down:
            self._up_since = None
            if not centre.pause_reason and centre.phase not in ("stopped",):
                centre.pause_reason = BROKER_DOWN
                self.ledger.holding = True
                if centre.phase == "running":
                    self.clock.pause()
                    centre.phase = "paused"
                    self._auto_paused = True
                self.on_change()
            return
        if not centre.pause_reason:
            return
        now = self._real()
        if self._up_since is None:
            self._up_since = now
        if now - self._up_since < SETTLE_S:
            return
        self.ledger.holding = False
        self.ledger.resend(older_than=0.0)
        centre.pause_reason = ""
        if self._auto_paused and centre.phase == "paused":
            self.clock.resume()
            centre.phase = "running"
        self._auto_paused = False
        centre.publish_session()
        self.on_change()

    # the loop ----------------------------------------------------------------------------
    def step(self, wait: float = 0.0) -> None:
        """One round: receive, apply commands, watch the broker, play, publish, wait."""
        self._receive(wait)
        self._apply_commands()
        self.watch_broker()
        self._publish_queued()
        if self.centre.phase in ("running", "ended"):
            self.fleet.advance(self.clock.now())
            self.centre.tick()
        if self.centre.phase == "running" and self.clock.now() >= self.fleet.end:
            self.centre.phase = "ended"
            self.centre.publish_session()
            self.on_change()
        now = self._real()
        if now >= self._next_resend and not self.ledger.holding:
            self._next_resend = now + RESEND_AFTER
            self.ledger.resend()
        if now >= self._next_state:
            self._next_state = now + SESSION_STATE_EVERY
            self.centre.publish_session()

    def wait_time(self) -> float:
        """Real seconds until something is due (bounded by :data:`LONGEST_WAIT`)."""
        due = min(self.fleet.next_event(), self.centre.next_step())
        delay = self.clock.real_delay(due) if math.isfinite(due) else math.inf
        return min(delay, LONGEST_WAIT)

    def run(self, *, exit_when_done: bool = False) -> None:
        """Loop until stopped (or, with ``exit_when_done``, until the session ended and every
        incident is closed)."""
        while not self.stopped.is_set():
            self.step(self.wait_time())
            if exit_when_done and self.done():
                self.stopped.set()

    def done(self) -> bool:
        """Whether the session has ended and no incident is open."""
        return self.centre.phase == "ended" and not self.ledger.unconfirmed and all(
            i.state.phase == "closed" for i in self.centre.incidents.values())

    def _receive(self, wait: float) -> None:
        if not self._pumps:
            if wait > 0:
                time.sleep(wait)
            return
        first, *others = self._pumps
        for pump in others:
            pump.drain()
        first.drain(timeout=wait)

    def _apply_commands(self) -> None:
        while True:
            try:
                command = self.commands.get_nowait()
            except queue.Empty:
                return
            self.control(command)

    def _publish_queued(self) -> None:
        while True:
            try:
                out = self.outbox.get_nowait()
            except queue.Empty:
                return
            try:
                self.transport.publish(out.topic, out.payload, qos=1, retain=out.retain)
            except MqttError:
                self.outbox.put(out)  # the broker is away: sent when it is back
                return
