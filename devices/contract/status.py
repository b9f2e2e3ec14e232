"""The retained ``status`` channel: whether a device is connected, and its last will.

A device publishes a :class:`DeviceStatus` saying ``online`` on
``vt/v1/{tenant}/{device_type}/{device_id}/status`` (QoS 1, retained) right after it connects,
and registers the same topic with an ``offline`` payload as its MQTT last will, so that the
broker tells everyone when the device drops off. A clean disconnect publishes ``offline`` first.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, cast

from pydantic import BaseModel, ConfigDict, Field

from devices.contract.catalog import DEVICE_TYPES, OFFLINE, ONLINE
from devices.contract.messages import DEVICE_ID_PATTERN
from devices.contract.wire_types import Rfc3339Timestamp

__all__ = [
    "STATUS_SCAIP",
    "STATUS_VALUES",
    "DeviceState",
    "DeviceStatus",
]

DeviceState: TypeAlias = Literal["online", "offline"]
STATUS_VALUES: Final = ("online", "offline")

STATUS_SCAIP: Final[Mapping[str, str]] = MappingProxyType({"online": ONLINE, "offline": OFFLINE})
"""The SCAIP status code (``stc``) of each status value."""

if TYPE_CHECKING:
    DeviceTypeName: TypeAlias = str
else:
    DeviceTypeName = cast(Any, Literal)[tuple(DEVICE_TYPES)]


class DeviceStatus(BaseModel):
    """Payload of a device's retained ``status`` topic; its last will says ``offline``.

    ``ts`` is when the status was set. For the last will that is when the device connected and
    registered it: the broker publishes the will later, unchanged.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    schema_version: Literal["1.0"] = Field(
        description="Version of the message contract; this is version 1.0."
    )
    device_id: str = Field(
        pattern=DEVICE_ID_PATTERN,
        description="Id of the device, as in the topic (1..64 letters, digits, '_.-').",
    )
    device_type: DeviceTypeName = Field(
        description="Kind of device, as in the topic (see the device catalog)."
    )
    status: DeviceState = Field(
        description="'online' once connected; 'offline' on a clean disconnect and in the last "
        "will, which the broker publishes when the connection is lost."
    )
    ts: Rfc3339Timestamp = Field(
        description="When the status was set, RFC 3339 with UTC offset; for the last will, when "
        "the device connected and registered it.",
    )
