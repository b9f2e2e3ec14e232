"""The device class of every catalog kind, and making a device of a kind by name."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from devices.contract.catalog import device_type_spec
from devices.models.base import Device
from devices.models.e_lock import ELock
from devices.models.gps_tracker import GpsTracker
from devices.models.medicine_dispenser import MedicineDispenser
from devices.models.night_supervision import NightSupervision
from devices.models.safety_alarm import SafetyAlarm

DEVICE_CLASSES: Mapping[str, type[Device]] = MappingProxyType(
    {
        cls.device_type: cls
        for cls in (SafetyAlarm, GpsTracker, ELock, MedicineDispenser, NightSupervision)
    }
)
"""The device class of every catalog kind, keyed by device type, in catalog order."""


def make_device(device_type: str, device_id: str, tenant: str) -> Device:
    """A new device of the given kind; raises ``UnknownDeviceType`` for an unknown kind."""
    device_type_spec(device_type)
    return DEVICE_CLASSES[device_type](device_id, tenant)
