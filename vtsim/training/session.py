"""One training session: the scenario clock, the fleet, the training centre and their loop.

The loop runs in one thread: it delivers received messages (``drain`` on MQTT transports), plays
the fleet up to the scenario clock, runs due steps of simulated operators, and publishes what
other threads (the console's web server, the terminal's keys) queued in :attr:`outbox`. Control
commands (pause, resume, speed, stop) arrive on the centre's control topic from any source.
"""

from __future__ import annotations

import datetime as dt
import math
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import ValidationError

from devices.contract.centre_actions import ControlCommand, control_subscription
from devices.transport.base import Transport
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


class Drains(Protocol):
    """A transport that delivers received messages when asked (the MQTT transport)."""

    def drain(self, timeout: float = 0.0, max_messages: int | None = None) -> int: ...


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message queued by another thread, published by the loop."""

    topic: str
    payload: bytes
    retain: bool = False


class TrainingSession:
    """Plays one training scenario in real time (times ``speed``) for a training centre."""

    def __init__(self, scenario: Scenario, centre_transport: Transport,
                 fleet_transport: Transport, *, speed: float = 1.0, seats: int | None = None,
                 seed: int | None = None, session_id: str | None = None,
                 extra_pumps: Sequence[object] = (),
                 real: Callable[[], float] = time.monotonic) -> None:
        training = training_of(scenario)
        self.scenario = scenario
        self.transport = centre_transport
        self.clock = ScenarioClock(training.start_s, speed, paused=True, real=real)
        self.session_id = session_id or dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        seed = scenario.seed if seed is None else seed
        self.centre: TrainingCentre
        self.fleet = TrainingFleet(scenario, fleet_transport, seed,
                                   awaiting_answer=self._awaiting_answer)
        self.centre = TrainingCentre(
            scenario, centre_transport, self.fleet.fleet, self.clock.now,
            session_id=self.session_id, seats=session_seats(scenario) if seats is None else seats,
            seed=seed,
        )
        self.centre.speed = speed
        self.outbox: queue.Queue[Outgoing] = queue.Queue()
        self.stopped = threading.Event()
        self._pumps = [t for t in (centre_transport, fleet_transport, *extra_pumps)
                       if hasattr(t, "drain")]
        self._next_state = 0.0
        self._real = real

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
        """Apply a control command from the broker; a bad one is ignored (never fatal)."""
        try:
            command = ControlCommand.model_validate_json(payload)
        except ValidationError:
            return
        self.control(command)

    def control(self, command: ControlCommand) -> None:
        """Pause, resume, change speed or stop."""
        centre = self.centre
        if command.command == "pause" and centre.phase == "running":
            self.clock.pause()
            centre.phase = "paused"
        elif command.command == "resume" and centre.phase == "paused":
            self.clock.resume()
            centre.phase = "running"
        elif command.command == "speed" and command.speed is not None:
            self.clock.set_speed(command.speed)
            centre.speed = command.speed
        elif command.command == "stop":
            self.clock.pause()
            centre.phase = "stopped"
            self.stopped.set()
        centre.publish_session()

    # the loop ----------------------------------------------------------------------------
    def step(self, wait: float = 0.0) -> None:
        """One round: receive, play the fleet, run simulated operators, publish, wait."""
        self._receive(wait)
        self._publish_queued()
        if self.centre.phase in ("running", "ended"):
            self.fleet.advance(self.clock.now())
            self.centre.tick()
        if self.centre.phase == "running" and self.clock.now() >= self.fleet.end:
            self.centre.phase = "ended"
            self.centre.publish_session()
        if self._real() >= self._next_state:
            self._next_state = self._real() + SESSION_STATE_EVERY
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
        return self.centre.phase == "ended" and all(
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

    def _publish_queued(self) -> None:
        while True:
            try:
                out = self.outbox.get_nowait()
            except queue.Empty:
                return
            self.transport.publish(out.topic, out.payload, qos=1, retain=out.retain)
