"""The engine side of a training session: the scenario clock and the fleet that plays the scenario.

The fleet is the scenario's stochastic background plus its scripted events, simulated with SimPy
and published as real device messages on a transport. It is paced by a :class:`ScenarioClock`:
real time times a speed, which can be paused, resumed and changed while the session runs. The
stepping is done by a :class:`sim.engine.PausableEngine` up to that clock, rather than by a
realtime environment, whose factor cannot change mid-run and which cannot pause.

Before the session starts, the scenario runs at full speed with publishing held back, so that
scheduled sources and device sequence numbers are where they would be at the session start.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from devices.contract.catalog import event_spec
from devices.transport.base import Handler, Transport
from sim.engine import Engine, PausableEngine
from sim.errors import VtsimError
from sim.model.arrivals import configured_sources
from sim.model.clock import start_epoch
from sim.model.fleet import Fleet, build_fleet
from sim.model.network import Network
from sim.model.randomness import Streams
from sim.model.sending import AwaitingAnswer, Sender
from sim.scenario.schema import Scenario
from sim.scenario.script import Training
from sim.scenario.staffing import operators_on_duty

MonotonicClock = Callable[[], float]


class TrainingError(VtsimError):
    """A training session that cannot run as asked."""


def training_of(scenario: Scenario) -> Training:
    """The scenario's training section; a scenario without one is not a training scenario."""
    if scenario.training is None:
        raise TrainingError(
            f"scenario {scenario.name!r} has no `training:` section; add one (docs/scenario.md) "
            "or use a scenario from scenarios/training/"
        )
    return scenario.training


class ScenarioClock:
    """Scenario seconds as a function of real (monotonic) time, with pause and speed.

    The clock is a line through an anchor: ``scenario = anchor + (real - real_anchor) * speed``
    while running, and stands still at the anchor while paused. Every change re-anchors, so a
    change of speed never makes the clock jump.
    """

    def __init__(self, start: float, speed: float = 1.0, *, paused: bool = False,
                 real: MonotonicClock = time.monotonic) -> None:
        self._real = real
        self._anchor = start
        self._real_anchor = real()
        self._speed = check_speed(speed)
        self._paused = paused

    @property
    def speed(self) -> float:
        """Scenario seconds per real second."""
        return self._speed

    @property
    def paused(self) -> bool:
        """Whether the clock stands still."""
        return self._paused

    def now(self) -> float:
        """The scenario time now."""
        if self._paused:
            return self._anchor
        return self._anchor + (self._real() - self._real_anchor) * self._speed

    def pause(self) -> None:
        """Stop the clock where it is."""
        self._reanchor()
        self._paused = True

    def resume(self) -> None:
        """Let the clock run again from where it stood."""
        self._reanchor()
        self._paused = False

    def set_speed(self, speed: float) -> None:
        """Run at ``speed`` times real time from now on."""
        self._reanchor()
        self._speed = check_speed(speed)

    def real_delay(self, scenario_time: float) -> float:
        """Real seconds until the clock reaches ``scenario_time`` (infinite while paused)."""
        if self._paused:
            return math.inf
        return max(0.0, (scenario_time - self.now()) / self._speed)

    def _reanchor(self) -> None:
        self._anchor = self.now()
        self._real_anchor = self._real()


MIN_SPEED = 0.01
MAX_SPEED = 10_000.0


def check_speed(speed: float) -> float:
    """A usable speed, or a :class:`TrainingError` saying what is allowed.

    Below :data:`MIN_SPEED` the clock would stand still for all practical purposes (a speed
    of 1e-300 froze it), above :data:`MAX_SPEED` the fleet cannot keep up.
    """
    if not MIN_SPEED <= speed <= MAX_SPEED or math.isnan(speed):
        raise TrainingError(f"speed must be from {MIN_SPEED:g} to {MAX_SPEED:g} (got {speed!r})")
    return speed


class HeldTransport:
    """Passes publishes on to a transport once opened; before that, drops them."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.open = False
        self.held = 0

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> None:
        """Publish if open, else count and drop."""
        if self.open:
            self.inner.publish(topic, payload, qos=qos, retain=retain)
        else:
            self.held += 1

    def subscribe(self, pattern: str, handler: Handler) -> None:
        """Subscriptions go straight to the inner transport."""
        self.inner.subscribe(pattern, handler)


class LiveSender(Sender):
    """A sender whose messages carry the wall clock in ``ts``, as a real device's do.

    So a live centre's clock check accepts them at any speed; the scenario time of an event is
    the centre's scenario clock when the message arrives.
    """

    def __init__(self, env: Engine, scenario: Scenario, streams: Streams,
                 network: Network, awaiting_answer: AwaitingAnswer, start_epoch: float,
                 wall: Callable[[], float]) -> None:
        super().__init__(env, scenario, streams, network, awaiting_answer, start_epoch)
        self._wall = wall

    def message_time(self) -> float:
        """The wall clock, in epoch seconds."""
        return self._wall()


class TrainingFleet:
    """The scenario's devices playing the background and the script on a transport."""

    def __init__(self, scenario: Scenario, transport: Transport, seed: int | None = None,
                 awaiting_answer: AwaitingAnswer | None = None,
                 wall: Callable[[], float] = time.time) -> None:
        self.scenario = scenario
        self.training = training_of(scenario)
        self.seed = scenario.seed if seed is None else seed
        self.env = PausableEngine()
        self.epoch = start_epoch(scenario.start)
        streams = Streams(self.seed, 0)
        self.fleet: Fleet = build_fleet(scenario, streams)
        self._out = HeldTransport(transport)
        network = Network(self.env, self._out, scenario.transport, streams)
        self.sender = LiveSender(self.env, scenario, streams, network,
                                 awaiting_answer or (lambda _device, _event: False), self.epoch,
                                 wall)
        self.scripted_sent = 0
        self._injected: set[int] = set()
        self._start_sources(streams)
        self._schedule_script()

    @property
    def end(self) -> float:
        """Scenario time at which the session ends and the fleet falls silent."""
        return self.training.end_s

    def fast_forward(self) -> None:
        """Run to the session start at full speed without publishing, then open the gate."""
        self.env.run(until=self.training.start_s)
        self._out.open = True

    def advance(self, until: float) -> int:
        """Process every event up to scenario time ``until`` (never past the end); return count."""
        return self.env.advance(min(until, self.end))

    def next_event(self) -> float:
        """Scenario time of the next event (infinite when nothing is left before the end)."""
        upcoming = self.env.peek()
        return upcoming if upcoming <= self.end else math.inf

    @property
    def finished(self) -> bool:
        """Whether every event of the session has been played."""
        return self.env.peek() > self.end

    def _start_sources(self, streams: Streams) -> None:
        simulate_all = self.scenario.telemetry == "simulate"
        sources = configured_sources(
            self.env, self.scenario, streams, self.fleet,
            lambda device_type, event: simulate_all or event_spec(device_type, event).incident)
        for _device_type, _event, source in sources:
            source.run(self.sender.emit, self.end)

    def inject(self, index: int) -> bool:
        """Raise scripted event ``index`` now rather than at its time; False if already raised."""
        if index in self._injected or not 0 <= index < len(self.training.script):
            return False
        self._scripted(index, self.training.script[index].device,
                       self.training.script[index].event)()
        return True

    def _schedule_script(self) -> None:
        for at, index, scripted in self.training.timeline():
            placed = self.fleet.by_id[scripted.device]
            self.env.call_after(at, self._scripted(index, placed.device.device_id,
                                                   scripted.event))

    def _scripted(self, index: int, device_id: str, event: str) -> Callable[[], None]:
        def emit() -> None:
            if index in self._injected:
                return
            self._injected.add(index)
            self.scripted_sent += 1
            self.sender.emit(self.fleet.by_id[device_id], event)
        return emit


def session_seats(scenario: Scenario) -> int:
    """Operator seats: the section's ``seats``, or operators on duty at the start less absent."""
    training = training_of(scenario)
    if training.seats is not None:
        return training.seats
    start = training.start_s % 86400.0
    on_duty = next((count for begin, end, count in operators_on_duty(scenario.centre.shifts)
                    if begin <= start < end), 0)
    return max(0, on_duty - training.absent)
