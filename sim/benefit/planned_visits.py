"""Planned home visits (*planlagte hjemmebesøk*) of each user, by purpose, for both arms.

Home care visits its users on a plan: so many visits a day for medication, care, night checks.
Each visit has a time in the home and a leg of travel in the user's zone; its work at a home
without an e-lock counts towards the employee-shifts that handle keys (key handling is per
employee per shift, see :mod:`sim.scenario.home_care`). Visits are drawn once per replication
from their own named streams, so the baseline and the technology arm share them exactly (common
random numbers); the technology arm leaves out the visits a device replaces.

A fractional number of visits per day is a whole part plus one more visit on a share of the days
(2.5 a day: two visits, and a third on about half the days).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.fleet import Fleet
from sim.model.randomness import Streams
from sim.scenario.benefit import Benefit
from sim.scenario.schema import Scenario

LOCK = "e_lock"
"""The device kind that removes key handling."""


@dataclass(frozen=True, slots=True)
class HomeUser:
    """A user in their home: profile, zone and device kit."""

    index: int
    profile: str
    zone: str
    devices: tuple[str, ...]

    @property
    def has_lock(self) -> bool:
        """Whether staff open the door with an e-lock instead of a key."""
        return LOCK in self.devices


@dataclass(frozen=True, slots=True)
class PlannedDraw:
    """The planned visits of one purpose to one profile's users over the window."""

    profile: str
    purpose: str
    device: str
    user: np.ndarray
    has_device: np.ndarray
    has_lock: np.ndarray
    travel_s: np.ndarray
    on_site_s: np.ndarray
    keys: bool
    replaced: np.ndarray

    @property
    def count(self) -> int:
        """Visits in the baseline arm."""
        return int(self.user.size)


def users_of(scenario: Scenario, fleet: Fleet) -> list[HomeUser]:
    """Every user of the fleet with profile, zone and device kit, in user order."""
    kits = {p.name: p.devices for p in scenario.users}
    found: dict[int, HomeUser] = {}
    for group in fleet.groups.values():
        for placed in group.devices:
            if placed.user not in found:
                found[placed.user] = HomeUser(placed.user, placed.profile, placed.zone,
                                              kits[placed.profile])
    return [found[i] for i in sorted(found)]


def draw_planned_visits(scenario: Scenario, benefit: Benefit, users: list[HomeUser],
                        streams: Streams, days: int) -> list[PlannedDraw]:
    """The planned visits of every (profile, purpose) over ``days`` whole days."""
    draws = []
    for profile, purposes in benefit.planned_visits.items():
        members = [u for u in users if u.profile == profile]
        for purpose, per_day in purposes.items():
            draws.append(draw_purpose(scenario, benefit, members, profile, purpose, per_day,
                                      streams, days))
    return draws


def draw_purpose(scenario: Scenario, benefit: Benefit, members: list[HomeUser], profile: str,
                 purpose: str, per_day: float, streams: Streams, days: int) -> PlannedDraw:
    """The visits of one purpose to one profile's users, from the purpose's own streams."""
    spec = benefit.purposes[purpose]
    name = f"planned/{profile}/{purpose}"
    per_user = visits_per_user(len(members), per_day, days, streams.generator(f"{name}/count"))
    user = np.repeat(np.arange(len(members)), per_user)
    device = spec.replaced_by or ""
    has_device = np.asarray([device in u.devices for u in members], dtype=bool)[user] \
        if members else np.zeros(0, dtype=bool)
    has_lock = np.asarray([u.has_lock for u in members], dtype=bool)[user] \
        if members else np.zeros(0, dtype=bool)
    zones = [members[i].zone for i in user]
    travel = (draw_travel(scenario, zones, streams.generator(f"{name}/travel"))
              * benefit.round_leg_share if spec.travel else np.zeros(user.size))
    on_site = spec.on_site.sample_many(streams.generator(f"{name}/on_site"), user.size)
    chance = streams.generator(f"{name}/replaced").random(user.size)
    replaced = has_device & (chance < spec.replaced_share)
    indices = np.asarray([members[i].index for i in user], dtype=int)
    return PlannedDraw(profile, purpose, device, indices, has_device, has_lock,
                       travel, on_site, spec.keys, replaced)


def visits_per_user(users: int, per_day: float, days: int, rng: np.random.Generator) -> np.ndarray:
    """Visits of each user over ``days``: the whole part every day, one more on a share of days."""
    whole = int(np.floor(per_day))
    extra = rng.random((users, days)) < (per_day - whole)
    return np.asarray(whole * days + extra.sum(axis=1), dtype=int)


def draw_travel(scenario: Scenario, zones: list[str], rng: np.random.Generator) -> np.ndarray:
    """One leg of the zone's travel time for each visit (zones in scenario order)."""
    travel = np.zeros(len(zones))
    where = np.asarray(zones, dtype=object)
    for zone in scenario.zones:
        picked = np.flatnonzero(where == zone.name)
        if picked.size:
            travel[picked] = zone.travel_time.sample_many(rng, picked.size)
    return travel
