"""Events happening on the devices: Poisson rates with a 24-hour profile, scheduled events
(medication times) and periodic telemetry.

Incident-raising events are simulated one by one and sent as messages. Periodic telemetry and
information-only events are counted (``telemetry: aggregate``) or sent one by one
(``telemetry: simulate``).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Generator, Sequence
from typing import Any

import numpy as np
import simpy

from sim.distributions import Exponential
from sim.fleet import DeviceGroup, FleetDevice
from sim.randomness import Streams
from sim.scenario import EventConfig, parse_clock

HOUR = 3600.0
DAY = 86400.0

Emit = Callable[[FleetDevice, str], None]
"""Called when ``event`` happens on a device."""


def hourly_rates(rate_per_day: float, weight: float, profile: Sequence[float]) -> list[float]:
    """Events per second in each hour of the day, for a group of total ``weight``."""
    mean = sum(profile) / len(profile)
    base = rate_per_day * weight / DAY
    return [base * p / mean for p in profile]


def poisson_times(
    rates: Sequence[float], start: float, end: float, unit_exponential: Callable[[], float]
) -> Generator[float, None, None]:
    """Arrival times of a Poisson process whose rate is constant within each hour of the day.

    Exact, not thinned: an exponential gap that would cross an hour boundary is discarded and
    drawn afresh from the boundary at the new rate, which the memoryless property allows.
    """
    t = start
    while t < end:
        boundary = (math.floor(t / HOUR) + 1) * HOUR
        rate = rates[int(t // HOUR) % 24]
        if rate <= 0:
            t = boundary
            continue
        candidate = t + unit_exponential() / rate
        if candidate < boundary:
            t = candidate
            if t < end:
                yield t
        else:
            t = boundary


class EventSource:
    """Generates one event kind of one device kind over a replication."""

    def __init__(
        self,
        env: simpy.Environment,
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
        self._gaps = streams.sampler(f"arrivals/{name}", Exponential(mean_value=1.0))
        self._which = streams.uniform(f"devices/{name}")
        self._schedule = streams.generator(f"schedule/{name}")
        self._cumulative = group.cumulative().tolist()
        self._uniform_weights = len(set(group.weights)) <= 1

    def run(self, emit: Emit, horizon: float) -> None:
        """Start the processes that emit this source's events until ``horizon``."""
        if self.config.rate_per_day:
            self.env.process(self._poisson(emit, horizon))
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

    def pick(self) -> FleetDevice:
        """The device on which the next event happens, by rate weight."""
        devices = self.group.devices
        if self._uniform_weights:
            return devices[min(int(self._which() * len(devices)), len(devices) - 1)]
        index = bisect.bisect_right(self._cumulative, self._which() * self._cumulative[-1])
        return devices[min(index, len(devices) - 1)]

    def _poisson(self, emit: Emit, horizon: float) -> Generator[simpy.Event, Any, None]:
        rates = hourly_rates(self.config.rate_per_day or 0.0, self.group.total_weight,
                             self.profile)
        for t in poisson_times(rates, self.env.now, horizon, self._gaps):
            yield self.env.timeout(t - self.env.now)
            emit(self.pick(), self.event)

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
