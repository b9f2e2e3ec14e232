"""Events happening on the devices: Poisson rates with a 24-hour profile, scheduled events
(medication times) and periodic telemetry.

Incident-raising events are simulated one by one and sent as messages. Periodic telemetry and
information-only events are counted (``telemetry: aggregate``) or sent one by one
(``telemetry: simulate``).

Poisson arrivals are drawn a block at a time: unit-rate exponential gaps are summed and mapped
through the inverse of the cumulative rate (:class:`DailyIntensity`), and the devices they
happen on are drawn for the whole block at once. Each arrival is then one timer in the
simulation, with no process behind it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any

import numpy as np
import simpy

from sim.engine import Engine, TimerCallback
from sim.model.fleet import DeviceGroup, Fleet, FleetDevice
from sim.model.randomness import Streams
from sim.scenario.loading import BUILTIN_PROFILES
from sim.scenario.schema import EventConfig, Scenario, parse_clock

HOUR = 3600.0
DAY = 86400.0
BLOCK = 1024
"""Arrivals drawn at a time per source."""

Emit = Callable[[FleetDevice, str], None]
"""Called when ``event`` happens on a device."""


def hourly_rates(rate_per_day: float, weight: float, profile: Sequence[float]) -> list[float]:
    """Events per second in each hour of the day, for a group of total ``weight``."""
    mean = sum(profile) / len(profile)
    base = rate_per_day * weight / DAY
    return [base * p / mean for p in profile]


class DailyIntensity:
    """A Poisson rate that is constant within each hour and repeats every day.

    Maps unit-rate arrival times ``s`` to real times ``t`` with ``Lambda(t) = s``, where
    ``Lambda`` is the cumulative rate: the time-change theorem makes that an exact draw of the
    non-homogeneous process, with no rejected draws.
    """

    def __init__(self, rates: Sequence[float]) -> None:
        if len(rates) != 24 or any(r < 0 for r in rates):
            raise ValueError("need 24 non-negative hourly rates")
        self.rates = np.asarray(rates, dtype=float)
        self.ends = np.cumsum(self.rates * HOUR)
        self.starts = self.ends - self.rates * HOUR
        self.per_day = float(self.ends[-1])

    def cumulative(self, t: float) -> float:
        """``Lambda(t)``: expected events in ``[0, t)``."""
        day, clock = divmod(t, DAY)
        hour = min(int(clock // HOUR), 23)
        return day * self.per_day + float(self.starts[hour]) + (clock - hour * HOUR) * float(
            self.rates[hour])

    def invert(self, s: np.ndarray) -> np.ndarray:
        """The times ``t`` at which ``Lambda(t) = s`` (``s`` non-negative, rate not all zero).

        A rate so small that ``t`` exceeds the floats gives ``inf``: an arrival never reached.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            day, rest = np.divmod(s, self.per_day)
            hour = np.minimum(np.searchsorted(self.ends, rest, side="right"), 23)
            # Rounding can leave ``rest`` in an hour without rate: move it to the hour's end.
            rate = self.rates[hour]
            offset = np.divide(rest - self.starts[hour], rate, out=np.full_like(rest, HOUR),
                               where=rate > 0)
            times = day * DAY + hour * HOUR + np.minimum(offset, HOUR)
        return np.where(np.isfinite(times), times, np.inf)


class EventSource:
    """Generates one event kind of one device kind over a replication."""

    def __init__(
        self,
        env: Engine,
        streams: Streams,
        group: DeviceGroup,
        device_type: str,
        event: str,
        config: EventConfig,
        profile: Sequence[float],
    ) -> None:
        self.env = env
        self.group = group
        self.device_type = device_type
        self.event = event
        self.config = config
        self.profile = profile
        name = f"{device_type}.{event}"
        self._gaps = streams.generator(f"arrivals/{name}")
        self._which = streams.generator(f"devices/{name}")
        self._schedule = streams.generator(f"schedule/{name}")
        self._cumulative = group.cumulative()
        self._uniform_weights = len(set(group.weights)) <= 1

    def run(self, emit: Emit, horizon: float) -> None:
        """Start emitting this source's events until ``horizon``."""
        if self.config.rate_per_day:
            PoissonArrivals(self, emit, horizon).start()
        elif self.config.at and self.config.probability:
            self.env.process(self._scheduled(emit, horizon))
        elif self.config.interval is not None:
            self.env.process(self._periodic(emit, horizon))

    def expected_count(self, horizon: float) -> float:
        """Mean number of events over ``horizon`` (for information)."""
        weight = self.group.total_weight
        if self.config.rate_per_day:
            return self.config.rate_per_day * weight * horizon / DAY
        if self.config.at and self.config.probability:
            return len(self.config.at) * self.config.probability * weight * horizon / DAY
        if self.config.interval:
            return len(self.group.devices) * horizon / self.config.interval
        return 0.0

    def count(self, start: float, end: float) -> int:
        """Events in ``[start, end)`` drawn without simulating each one (aggregated telemetry)."""
        rng = self._schedule
        span = end - start
        if self.config.interval is not None:
            phases = rng.uniform(0.0, self.config.interval, len(self.group.devices))
            return int(np.sum(np.floor((span - phases) / self.config.interval) + 1))
        if self.config.rate_per_day or (self.config.at and self.config.probability):
            return int(rng.poisson(self.expected_count(span)))
        return 0

    def intensity(self) -> DailyIntensity:
        """The source's rate over the day, for the whole group."""
        return DailyIntensity(hourly_rates(self.config.rate_per_day or 0.0,
                                           self.group.total_weight, self.profile))

    def unit_gaps(self, n: int) -> np.ndarray:
        """``n`` gaps of a unit-rate Poisson process (the ``arrivals`` stream)."""
        return self._gaps.exponential(1.0, n)

    def pick_many(self, n: int) -> list[FleetDevice]:
        """The devices on which the next ``n`` events happen, by rate weight."""
        devices = self.group.devices
        u = self._which.random(n)
        if self._uniform_weights:
            index = (u * len(devices)).astype(np.int64)
        else:
            index = np.searchsorted(self._cumulative, u * self._cumulative[-1], side="right")
        return [devices[i] for i in np.minimum(index, len(devices) - 1).tolist()]

    def pick(self) -> FleetDevice:
        """The device on which the next event happens, by rate weight."""
        return self.pick_many(1)[0]

    def _scheduled(self, emit: Emit, horizon: float) -> Generator[simpy.Event, Any, None]:
        offsets = [parse_clock(clock) + self.config.delay for clock in self.config.at or ()]
        days = math.ceil(horizon / DAY)
        times = sorted(day * DAY + offset for day in range(days) for offset in offsets)
        weights = np.asarray(self.group.weights, dtype=float)
        chance = np.minimum(1.0, (self.config.probability or 0.0) * weights)
        for t in times:
            if t >= horizon:
                return
            hits = np.flatnonzero(self._schedule.random(len(chance)) < chance)
            yield self.env.timeout(t - self.env.now)
            for index in hits:
                emit(self.group.devices[index], self.event)

    def _periodic(self, emit: Emit, horizon: float) -> Generator[simpy.Event, Any, None]:
        interval = self.config.interval or DAY
        phases = self._schedule.uniform(0.0, interval, len(self.group.devices))
        order = np.argsort(phases)
        cycle = 0.0
        while True:
            for index in order:
                t = cycle + phases[index]
                if t >= horizon:
                    return
                yield self.env.timeout(t - self.env.now)
                emit(self.group.devices[index], self.event)
            cycle += interval


class PoissonArrivals:
    """The Poisson arrivals of one source: each one a timer that emits and sets the next."""

    __slots__ = ("_devices", "_emit", "_env", "_event", "_fire", "_horizon", "_index",
                 "_intensity", "_s", "_source", "_times")

    def __init__(self, source: EventSource, emit: Emit, horizon: float) -> None:
        self._source = source
        self._env = source.env
        self._emit = emit
        self._event = source.event
        self._horizon = horizon
        self._intensity = source.intensity()
        self._s = self._intensity.cumulative(source.env.now)
        self._times: list[float] = []
        self._devices: list[FleetDevice] = []
        self._index = 0
        self._fire: TimerCallback = self._arrive

    def start(self) -> None:
        """Schedule the first arrival (none if the rate is zero all day)."""
        if self._intensity.per_day > 0:
            self._schedule_next()

    def _draw_block(self) -> None:
        source = self._source
        s = self._s + np.cumsum(source.unit_gaps(BLOCK))
        self._s = float(s[-1])
        self._times = self._intensity.invert(s).tolist()
        self._devices = source.pick_many(BLOCK)
        self._index = 0

    def _schedule_next(self) -> None:
        if self._index >= len(self._times):
            self._draw_block()
        t = self._times[self._index]
        if t < self._horizon:
            self._env.at_delay(t - self._env.now, self._fire)

    def _arrive(self, _timer: simpy.Event) -> None:
        index = self._index
        self._emit(self._devices[index], self._event)
        self._index = index = index + 1
        if index >= len(self._times):
            self._draw_block()
            index = 0
        t = self._times[index]
        if t < self._horizon:
            env = self._env
            env.at_delay(t - env.now, self._fire)


def configured_sources(
    env: Engine, scenario: Scenario, streams: Streams, fleet: Fleet,
    keep: Callable[[str, str], bool] | None = None,
) -> Iterator[tuple[str, str, EventSource]]:
    """``(device_type, event, source)`` for every generated event of the fleet's devices.

    ``keep(device_type, event)``, when given, picks the events wanted; the others get no
    source. Device kinds without devices in the fleet are passed over.
    """
    profiles = {**BUILTIN_PROFILES, **scenario.profiles}
    for device_type, device in scenario.devices.items():
        group = fleet.groups.get(device_type)
        if group is None:
            continue
        for event, config in device.events.items():
            if config.generated and (keep is None or keep(device_type, event)):
                yield device_type, event, EventSource(env, streams, group, device_type, event,
                                                      config, profiles[config.profile])
