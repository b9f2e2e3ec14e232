"""Digital night supervision (*digitalt tilsyn*): sensors that replace night-time check visits."""

from __future__ import annotations

import numpy as np

from devices.contract.catalog import FieldSpec
from devices.models.base import Device, uniform_int

MINUTES_OUT = (15, 90)
"""Minutes out of bed before ``bed_exit_no_return`` fires (the agreed time is 15 minutes)."""


class NightSupervision(Device):
    """A night-supervision sensor set in one bedroom."""

    __slots__ = ()

    device_type = "night_supervision"

    def sample_field(self, event: str, field: FieldSpec, rng: np.random.Generator) -> object:
        """Minutes out of bed; shared fields from the base."""
        if field.name == "minutes_out":
            return uniform_int(rng, MINUTES_OUT)
        return super().sample_field(event, field, rng)
