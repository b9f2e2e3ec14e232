"""Electronic door lock (*e-lås*): home-care staff open it with a digital key."""

from __future__ import annotations

import numpy as np

from devices.contract.catalog import FieldSpec
from devices.models.base import Device, uniform_int

STAFF_IDS = (1, 60)
"""Home-care staff keys ``hs-001`` … ``hs-060``."""

OPEN_S = (300, 1_800)
"""A door reported open too long has stood open 5–30 minutes."""


class ELock(Device):
    """An electronic door lock whose staff openings are the visit record."""

    __slots__ = ()

    device_type = "e_lock"

    def sample_field(self, event: str, field: FieldSpec, rng: np.random.Generator) -> object:
        """Staff key ids and open durations; shared fields from the base."""
        if field.name == "staff_id":
            return f"hs-{uniform_int(rng, STAFF_IDS):03d}"
        if field.name == "open_s":
            return uniform_int(rng, OPEN_S)
        return super().sample_field(event, field, rng)
