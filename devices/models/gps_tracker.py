"""GPS tracker (*lokaliseringsteknologi*): worn by people at risk of getting lost."""

from __future__ import annotations

import math

import numpy as np

from devices.contract.catalog import FieldSpec
from devices.models.base import Device, pick_one

HOME_LAT = 59.78
HOME_LON = 10.24
"""Lier, Norway: the centre of sampled positions."""

RADIUS_M = 3_000.0
METRES_PER_DEGREE_LAT = 111_320.0
GEOFENCES = ("home-zone", "garden", "neighbourhood")


class GpsTracker(Device):
    """A GPS tracker with geofences and an SOS button."""

    __slots__ = ()

    device_type = "gps_tracker"

    def sample_joint_fields(
        self, fields: tuple[FieldSpec, ...], rng: np.random.Generator
    ) -> dict[str, object]:
        """Latitude and longitude come as one position fix."""
        if not any(field.name == "lat" for field in fields):
            return {}
        lat, lon = sample_position(rng)
        return {"lat": lat, "lon": lon}

    def sample_field(self, event: str, field: FieldSpec, rng: np.random.Generator) -> object:
        """Accuracy in metres and the geofence left; shared fields from the base."""
        if field.name == "accuracy_m":
            return sample_accuracy_m(rng)
        if field.name == "geofence_id":
            return pick_one(rng, GEOFENCES)
        return super().sample_field(event, field, rng)


def sample_position(rng: np.random.Generator) -> tuple[float, float]:
    """A point uniformly within a few kilometres of Lier, degrees rounded to 6 decimals."""
    distance_m = RADIUS_M * math.sqrt(float(rng.random()))
    bearing = 2 * math.pi * float(rng.random())
    lat = HOME_LAT + distance_m * math.cos(bearing) / METRES_PER_DEGREE_LAT
    lon_scale = METRES_PER_DEGREE_LAT * math.cos(math.radians(HOME_LAT))
    lon = HOME_LON + distance_m * math.sin(bearing) / lon_scale
    return round(lat, 6), round(lon, 6)


def sample_accuracy_m(rng: np.random.Generator) -> float:
    """Horizontal accuracy: mostly 3–20 m outdoors, with a tail for indoor fixes."""
    return round(1.0 + float(rng.gamma(2.0, 5.0)), 1)
