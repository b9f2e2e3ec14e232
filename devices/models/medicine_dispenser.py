"""Medicine dispenser (*elektronisk medisineringsstøtte*): releases scheduled doses."""

from __future__ import annotations

import numpy as np

from devices.contract.catalog import FieldSpec
from devices.models.base import Device, pick_one, uniform_int

DOSE_TIMES = ("08:00", "12:00", "16:00", "20:00")
"""Usual slots of a dispenser's daily schedule (local time)."""

DOSES_LEFT = (0, 7)
"""A refill is due with up to a week of doses left."""


class MedicineDispenser(Device):
    """A medicine dispenser with a daily dose schedule."""

    __slots__ = ()

    device_type = "medicine_dispenser"

    def sample_joint_fields(
        self, fields: tuple[FieldSpec, ...], rng: np.random.Generator
    ) -> dict[str, object]:
        """Dose id and scheduled time come from one slot of the schedule."""
        if not any(field.name == "dose_id" for field in fields):
            return {}
        dose_id, scheduled_at = sample_dose(rng)
        return {"dose_id": dose_id, "scheduled_at": scheduled_at}

    def sample_field(self, event: str, field: FieldSpec, rng: np.random.Generator) -> object:
        """Doses left for ``refill_due``; shared fields from the base."""
        if field.name == "doses_left":
            return uniform_int(rng, DOSES_LEFT)
        return super().sample_field(event, field, rng)


def sample_dose(rng: np.random.Generator) -> tuple[str, str]:
    """One slot of the schedule as ``(dose_id, scheduled_at)``, e.g. ``("d-0800", "08:00")``."""
    scheduled_at = pick_one(rng, DOSE_TIMES)
    return f"d-{scheduled_at.replace(':', '')}", scheduled_at
