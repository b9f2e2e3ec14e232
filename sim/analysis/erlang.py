"""Analytic staffing estimates: Erlang C per hour of the day (stationary independent periods).

Each hour of the day is treated as its own stationary M/M/c queue with that hour's mean arrival
rate and mean operator time (handling plus wrap-up), and gets the fewest servers for which Erlang C
meets the target. A shift needs the most that any of its hours needs. This is the classic
*stationary independent period-by-period* (SIPP) approximation; it ignores bursts within an hour,
queues carried over hour and shift boundaries, repeated alarms and dispatch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from devices.contract.catalog import event_spec
from sim.model.arrivals import hourly_rates
from sim.scenario.loading import BUILTIN_PROFILES
from sim.scenario.schema import EventConfig, Scenario, Shift, Zone, parse_clock

HOUR = 3600.0
DAY = 86400.0
MOST_SERVERS = 10_000
"""Upper limit of the server search (a load needing more is reported as an error)."""


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load ``load`` Erlang.

    Computed through the Erlang B recursion, which stays exact for hundreds of servers.
    """
    if load <= 0:
        return 0.0
    if servers <= load:
        return 1.0
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    return servers * blocking / (servers - load * (1.0 - blocking))


def service_level(servers: int, load: float, mean_service: float, within: float) -> float:
    """P(wait <= ``within``) in an M/M/c queue (1 - C(c, A) exp(-(c - A) t / s))."""
    if load <= 0:
        return 1.0
    if servers <= load:
        return 0.0
    return 1.0 - erlang_c(servers, load) * math.exp(-(servers - load) * within / mean_service)


def fewest_servers(load: float, mean_service: float, within: float, share: float) -> int:
    """The fewest servers with P(wait <= ``within``) >= ``share``."""
    servers = max(0, math.floor(load))
    while service_level(servers, load, mean_service, within) < share:
        servers += 1
        if servers > MOST_SERVERS:
            raise ValueError(f"a load of {load:g} Erlang needs more than {MOST_SERVERS} servers")
    return servers


@dataclass(frozen=True, slots=True)
class HourlyLoad:
    """Arrivals and work in one hour of the day."""

    hour: int
    arrivals_per_h: float
    mean_service_s: float

    @property
    def erlang(self) -> float:
        """Offered load in Erlang."""
        return self.arrivals_per_h * self.mean_service_s / HOUR


def incident_loads(scenario: Scenario) -> list[HourlyLoad]:
    """Mean incidents per hour of the day and their mean operator time (handling + wrap-up)."""
    arrivals = [0.0] * 24
    work = [0.0] * 24
    for _kind, _event, config, rates in incident_sources(scenario):
        busy = operator_time(scenario, config)
        for hour, rate in enumerate(rates):
            arrivals[hour] += rate
            work[hour] += rate * busy
    return [HourlyLoad(h, arrivals[h], work[h] / arrivals[h] if arrivals[h] else 0.0)
            for h in range(24)]


def visit_loads(scenario: Scenario, zone: Zone) -> list[HourlyLoad]:
    """Mean home visits per hour of the day in one zone and the field worker's time per visit
    (travel there and back plus time on site)."""
    share = zone_shares(scenario)
    arrivals = [0.0] * 24
    for kind, _event, config, rates in incident_sources(scenario):
        p_visit = outcome_probabilities(scenario, config).get("home_visit", 0.0)
        for hour, rate in enumerate(rates):
            arrivals[hour] += rate * p_visit * share[kind].get(zone.name, 0.0)
    away = 2 * zone.travel_time.mean + scenario.visits.on_site.mean
    return [HourlyLoad(h, arrivals[h], away) for h in range(24)]


def incident_sources(scenario: Scenario) -> list[tuple[str, str, EventConfig, list[float]]]:
    """Every generated incident-raising event with its mean rate per hour of the day (per hour)."""
    profiles = {**BUILTIN_PROFILES, **scenario.profiles}
    out = []
    for kind, device in scenario.devices.items():
        weight = fleet_weight(scenario, kind)
        for event, config in device.events.items():
            if not config.generated or not event_spec(kind, event).incident or weight <= 0:
                continue
            if config.rate_per_day:
                per_s = hourly_rates(config.rate_per_day, weight, profiles[config.profile])
                out.append((kind, event, config, [r * HOUR for r in per_s]))
            elif config.at and config.probability:
                out.append((kind, event, config, scheduled_rates(config, weight)))
    return out


def scheduled_rates(config: EventConfig, weight: float) -> list[float]:
    """Events per hour of the day of a scheduled event, put in the hour they happen."""
    rates = [0.0] * 24
    for clock in config.at or ():
        hour = int(((parse_clock(clock) + config.delay) % DAY) // HOUR)
        rates[hour] += (config.probability or 0.0) * weight
    return rates


def fleet_weight(scenario: Scenario, kind: str) -> float:
    """Devices of one kind, each weighted by its group's rate multiplier."""
    return sum(u.count * u.multiplier_for(kind) for u in scenario.users if kind in u.devices)


def zone_shares(scenario: Scenario) -> dict[str, dict[str, float]]:
    """For each device kind, the share of its (weighted) devices living in each zone."""
    default = {z.name: z.share for z in scenario.zones}
    out: dict[str, dict[str, float]] = {}
    for kind in scenario.devices:
        totals: dict[str, float] = {}
        for user in scenario.users:
            if kind not in user.devices:
                continue
            weights = user.zones or default
            whole = sum(weights.values())
            for zone, w in weights.items():
                totals[zone] = totals.get(zone, 0.0) + user.count * user.multiplier_for(kind) * (
                    w / whole)
        grand = sum(totals.values())
        out[kind] = {z: v / grand for z, v in totals.items()} if grand else {}
    return out


def operator_time(scenario: Scenario, config: EventConfig) -> float:
    """Mean operator time of one incident: handling plus wrap-up, in seconds."""
    defaults = scenario.centre.defaults
    return (config.handling or defaults.handling).mean + (config.wrapup or defaults.wrapup).mean


def outcome_probabilities(scenario: Scenario, config: EventConfig) -> dict[str, float]:
    """The event's outcome probabilities, or the centre's defaults."""
    return {str(k): v for k, v in (config.outcomes or scenario.centre.defaults.outcomes).items()}


def hours_of(shift: Shift) -> list[int]:
    """The hours of the day a shift covers, partly or wholly."""
    first = shift.start_s / HOUR
    last = (shift.start_s + shift.length_s) / HOUR
    return sorted({int(h) % 24 for h in range(math.floor(first), math.ceil(last))})


def servers_per_hour(loads: Sequence[HourlyLoad], within: float, share: float) -> list[int]:
    """Erlang C servers needed in each hour of the day for P(wait <= within) >= share."""
    return [fewest_servers(h.erlang, h.mean_service_s or 1.0, within, share) for h in loads]
