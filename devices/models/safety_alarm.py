"""Safety alarm (*trygghetsalarm*): a wearable alarm button with a base unit in the home."""

from __future__ import annotations

import numpy as np

from devices.contract.catalog import FieldSpec
from devices.models.base import Device, uniform_int

LAST_SEEN_S = (600, 7_200)
"""Silence before the platform reports a lost connection: 10 minutes to 2 hours."""


class SafetyAlarm(Device):
    """A safety alarm; the platform reports its lost connections on its behalf."""

    __slots__ = ()

    device_type = "safety_alarm"

    def sample_field(self, event: str, field: FieldSpec, rng: np.random.Generator) -> object:
        """Seconds since last contact for ``connection_lost``; shared fields from the base."""
        if field.name == "last_seen_s":
            return uniform_int(rng, LAST_SEEN_S)
        return super().sample_field(event, field, rng)
