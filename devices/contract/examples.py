"""Valid example messages of every catalog event, for the schema, the docs and vendors' tests.

Every example is built from the catalog: the envelope of a fixed example device and moment, and
each field's catalog example value. Examples are plain JSON-ready dicts in canonical key order.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from devices.contract.catalog import DEVICE_TYPES, EventSpec
from devices.contract.messages import SCHEMA_VERSION
from devices.contract.status import DeviceState
from devices.contract.topics import EVENTS, STATUS, ack_topic, device_topic, rejected_topic

EXAMPLE_TENANT: Final = "demo"
EXAMPLE_TS: Final = "2026-01-05T08:13:22.125Z"
EXAMPLE_RECEIVED_AT: Final = "2026-01-05T08:13:22.388Z"
EXAMPLE_SEQ: Final = 42

EXAMPLE_DEVICE_IDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "safety_alarm": "sa-0001",
        "gps_tracker": "gps-0001",
        "e_lock": "lock-0001",
        "medicine_dispenser": "disp-0042",
        "night_supervision": "ns-0001",
    }
)
"""One example device id per kind, in the simulator's ``<prefix>-<number>`` style."""


def example_device_id(device_type: str) -> str:
    """The example device id of a kind (``dev-0001`` for a kind without its own)."""
    return EXAMPLE_DEVICE_IDS.get(device_type, "dev-0001")


def example_message_id(device_id: str, seq: int = EXAMPLE_SEQ) -> str:
    """A message id in the simulator's style: ``<device id>-<seq, 8 digits>``."""
    return f"{device_id}-{seq:08d}"


def example_seq(spec: EventSpec) -> int:
    """The example sequence number of an event: :data:`EXAMPLE_SEQ` plus its catalog place."""
    kind = DEVICE_TYPES.get(spec.device_type)
    events = list(kind.events) if kind is not None else []
    return EXAMPLE_SEQ + (events.index(spec.event) if spec.event in events else 0)


def example_message(spec: EventSpec) -> dict[str, Any]:
    """A valid message of one catalog event, with every field's catalog example.

    The examples of one device kind share the device and differ in ``seq`` and ``message_id``
    (the event's place in the catalog), so that a file of all of them holds no duplicate.
    """
    device_id = example_device_id(spec.device_type)
    seq = example_seq(spec)
    body: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "message_id": example_message_id(device_id, seq),
        "device_id": device_id,
        "device_type": spec.device_type,
        "event": spec.event,
        "ts": EXAMPLE_TS,
        "seq": seq,
    }
    body.update((field.name, field.example) for field in spec.fields)
    return body


def example_topic(device_type: str, channel: str = EVENTS) -> str:
    """The topic of the example device of a kind, on the ``events`` or ``status`` channel."""
    return device_topic(EXAMPLE_TENANT, device_type, example_device_id(device_type), channel)


def example_status(device_type: str, status: DeviceState) -> dict[str, Any]:
    """A valid status message of the example device of a kind."""
    return {
        "schema_version": SCHEMA_VERSION,
        "device_id": example_device_id(device_type),
        "device_type": device_type,
        "status": status,
        "ts": EXAMPLE_TS,
    }


def example_status_topic(device_type: str) -> str:
    """The retained status topic of the example device of a kind."""
    return example_topic(device_type, STATUS)


def example_acknowledgement(spec: EventSpec) -> dict[str, Any]:
    """The centre's acknowledgement of :func:`example_message` of ``spec``."""
    message = example_message(spec)
    return {
        "schema_version": SCHEMA_VERSION,
        "message_id": message["message_id"],
        "device_id": message["device_id"],
        "seq": message["seq"],
        "received_at": EXAMPLE_RECEIVED_AT,
    }


def example_ack_topic(device_type: str) -> str:
    """Where the centre acknowledges the example device's messages."""
    return ack_topic(EXAMPLE_TENANT, example_device_id(device_type))


def example_rejected_topic(device_type: str) -> str:
    """Where the centre reports the example device's rejected messages."""
    return rejected_topic(EXAMPLE_TENANT, example_device_id(device_type))

