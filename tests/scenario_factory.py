"""Small scenarios built in code, for exact and property tests."""

from __future__ import annotations

import copy
from typing import Any

from sim.scenario.loading import validate_scenario
from sim.scenario.schema import Scenario

BASE: dict[str, Any] = {
    "name": "tiny",
    "tenant": "test",
    "horizon": "1d",
    "warmup": 0,
    "replications": 1,
    "seed": 1,
    "zones": [{"name": "z", "field_staff": 1, "travel_time": {"kind": "constant", "value": 600}}],
    "users": [{"name": "u", "count": 1, "devices": ["safety_alarm"]}],
    "devices": {},
    "centre": {
        "shifts": [{"name": "all", "start": "00:00", "end": "24:00", "operators": 1}],
        "min_operators": 1,
        "defaults": {
            "handling": {"kind": "constant", "value": 100},
            "wrapup": {"kind": "constant", "value": 20},
            "outcomes": {"resolved_remotely": 1.0},
        },
    },
    "visits": {"on_site": {"kind": "constant", "value": 1200}},
}


def tiny(**changes: Any) -> Scenario:
    """The base scenario with top-level keys replaced (deep-copied)."""
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(changes))
    return validate_scenario(data, "tiny")


def at(*clocks: str, **extra: Any) -> dict[str, Any]:
    """An event that happens with certainty at the given times of day on every device."""
    return {"at": list(clocks), "probability": 1.0, **extra}
