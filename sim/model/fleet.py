"""The fleet: every user's devices, where they live, and how likely each device is to fire."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from devices.models.base import Device
from devices.models.kinds import DEVICE_CLASSES
from sim.model.randomness import Streams
from sim.scenario.schema import Scenario, UserProfile

ID_PREFIX = {
    "safety_alarm": "sa",
    "gps_tracker": "gps",
    "e_lock": "lock",
    "medicine_dispenser": "disp",
    "night_supervision": "ns",
}
"""Device-id prefixes by kind: ``disp-0042`` is the 42nd medicine dispenser."""


class FleetDevice(NamedTuple):
    """A device in a user's home."""

    device: Device
    user: int
    profile: str
    zone: str


@dataclass(slots=True)
class DeviceGroup:
    """All devices of one kind, with cumulative rate weights for drawing which one fires."""

    devices: list[FleetDevice] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)

    @property
    def total_weight(self) -> float:
        """Sum of the rate multipliers: the group's size in 'average devices'."""
        return float(sum(self.weights))

    def cumulative(self) -> np.ndarray:
        """Cumulative weights, for ``searchsorted`` draws."""
        return np.cumsum(np.asarray(self.weights, dtype=float))


@dataclass(frozen=True, slots=True)
class Fleet:
    """Devices by kind, and each device by id."""

    groups: dict[str, DeviceGroup]
    by_id: dict[str, FleetDevice]

    def count(self, device_type: str) -> int:
        """Number of devices of a kind."""
        group = self.groups.get(device_type)
        return len(group.devices) if group else 0


def build_fleet(scenario: Scenario, streams: Streams) -> Fleet:
    """Place every user in a zone and give them their device kit (the ``fleet`` stream)."""
    rng = streams.generator("fleet")
    groups: dict[str, DeviceGroup] = {}
    by_id: dict[str, FleetDevice] = {}
    tenant = scenario.tenant
    user = 0
    for profile in scenario.users:
        kit = [(groups.setdefault(kind, DeviceGroup()), DEVICE_CLASSES[kind], ID_PREFIX[kind],
                profile.multiplier_for(kind)) for kind in profile.devices]
        for zone in assign_zones(scenario, profile, rng):
            for group, device_class, prefix, weight in kit:
                device_id = f"{prefix}-{len(group.devices) + 1:04d}"
                placed = FleetDevice(device_class(device_id, tenant), user, profile.name, zone)
                group.devices.append(placed)
                group.weights.append(weight)
                by_id[device_id] = placed
            user += 1
    return Fleet(groups, by_id)


def assign_zones(scenario: Scenario, profile: UserProfile, rng: np.random.Generator) -> list[str]:
    """The zone of each user of a profile, drawn by the profile's (or the zones') weights."""
    if profile.zones is not None:
        names = list(profile.zones)
        weights = np.asarray([profile.zones[n] for n in names], dtype=float)
    else:
        names = [z.name for z in scenario.zones]
        weights = np.asarray([z.share for z in scenario.zones], dtype=float)
    picks = rng.choice(len(names), size=profile.count, p=weights / weights.sum())
    return [names[i] for i in picks]
