"""Device models, the message contract, the topic scheme and transports of vtsim.

The catalog (:mod:`devices.contract.catalog`) is the single source of truth about device kinds and
their events; message models, device classes and documentation are generated from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from devices.contract.catalog import (
    DEVICE_TYPES,
    DeviceTypeSpec,
    EventSpec,
    FieldSpec,
    device_type_spec,
    event_spec,
)
from devices.contract.codec import (
    Accepted,
    Limits,
    Rejected,
    Verdict,
    decode_message,
    encode_fields,
    encode_message,
    format_ts,
)
from devices.contract.errors import (
    DeviceContractError,
    InvalidTopic,
    UnknownDeviceType,
    UnknownEvent,
)
from devices.contract.messages import (
    MESSAGE_ADAPTER,
    SCHEMA_VERSION,
    DeviceMessage,
    Envelope,
    message_model,
)
from devices.contract.topics import (
    DeviceTopic,
    device_topic,
    events_subscription,
    parse_device_topic,
    topic_matches,
)
from devices.models.base import Device
from devices.models.e_lock import ELock
from devices.models.gps_tracker import GpsTracker
from devices.models.medicine_dispenser import MedicineDispenser
from devices.models.night_supervision import NightSupervision
from devices.models.safety_alarm import SafetyAlarm
from devices.transport.base import Handler, InProcessTransport, Transport

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


__all__ = [
    "DEVICE_CLASSES",
    "DEVICE_TYPES",
    "MESSAGE_ADAPTER",
    "SCHEMA_VERSION",
    "Accepted",
    "Device",
    "DeviceContractError",
    "DeviceMessage",
    "DeviceTopic",
    "DeviceTypeSpec",
    "ELock",
    "Envelope",
    "EventSpec",
    "FieldSpec",
    "GpsTracker",
    "Handler",
    "InProcessTransport",
    "InvalidTopic",
    "Limits",
    "MedicineDispenser",
    "NightSupervision",
    "Rejected",
    "SafetyAlarm",
    "Transport",
    "UnknownDeviceType",
    "UnknownEvent",
    "Verdict",
    "decode_message",
    "device_topic",
    "device_type_spec",
    "encode_fields",
    "encode_message",
    "event_spec",
    "events_subscription",
    "format_ts",
    "make_device",
    "message_model",
    "parse_device_topic",
    "topic_matches",
]
