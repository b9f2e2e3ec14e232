"""Command-line shorthands for scenario fields that have no single place in the schema.

``fleet.<device kind>.users=N`` sets how many users carry a device kind. The scenario has no such
field: users come in groups (``users``), each with a device kit and a ``count``. The shorthand
scales the counts of the groups whose kit includes the device so that they add up to ``N``, keeping
their proportions (largest-remainder rounding, so the total is exact). A group's other devices
grow with it: a user with a kit has every device in it. To set one group, use its real path,
``users.<group name>.count``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from devices.contract.catalog import DEVICE_TYPES
from sim.errors import Problem, ScenarioError

FLEET_ALIAS = "fleet"
"""First part of a shorthand path."""


def is_fleet_alias(dotted: str) -> bool:
    """Whether ``dotted`` is a ``fleet.…`` shorthand rather than a schema path."""
    return dotted.split(".", 1)[0] == FLEET_ALIAS


def set_fleet_users(data: dict[str, Any], dotted: str, value: Any, file: str) -> None:
    """Apply ``fleet.<device kind>.users=value`` to the user groups of a parsed scenario."""
    kind = fleet_device_kind(dotted, value, file)
    total = user_count(value, dotted, file)
    groups = [g for g in data.get("users") or [] if isinstance(g, dict)
              and kind in (g.get("devices") or ()) and isinstance(g.get("count"), int)]
    counts = [int(g["count"]) for g in groups]
    if sum(counts) <= 0:
        raise ScenarioError([Problem(
            file, dotted, f"no user group has a {kind} with a positive count; add one under "
            "`users` (see docs/scenario.md)", repr(value))])
    for group, count in zip(groups, scale_counts(counts, total), strict=True):
        group["count"] = count


def fleet_device_kind(dotted: str, value: Any, file: str) -> str:
    """The device kind named in a ``fleet.<kind>.users`` path, or a problem saying what is valid."""
    parts = dotted.split(".")
    if len(parts) != 3 or parts[2] != "users":
        raise ScenarioError([Problem(
            file, dotted, "unknown path; the fleet shorthand is fleet.<device kind>.users "
            "(or set one group with users.<group name>.count)", repr(value))])
    if parts[1] not in DEVICE_TYPES:
        raise ScenarioError([Problem(
            file, dotted, f"unknown device kind; known: {', '.join(DEVICE_TYPES)}",
            repr(parts[1]))])
    return parts[1]


def user_count(value: Any, dotted: str, file: str) -> int:
    """A whole, non-negative number of users."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ScenarioError([Problem(file, dotted, "expected a whole number of users, 0 or more",
                                     repr(value))])
    return value


def scale_counts(counts: Sequence[int], total: int) -> list[int]:
    """``counts`` scaled to add up to ``total`` exactly, proportions kept (largest remainder;
    ties go to the earlier group)."""
    whole = sum(counts)
    shares = [c * total / whole for c in counts]
    scaled = [math.floor(s) for s in shares]
    order = sorted(range(len(counts)), key=lambda i: (-(shares[i] - scaled[i]), i))
    for i in order[: total - sum(scaled)]:
        scaled[i] += 1
    return scaled
