"""Pydantic message models of the device contract, generated from :mod:`devices.contract.catalog`.

Every payload is an :class:`Envelope` (schema version, ids, device kind, event, time, sequence
number) plus the event's own fields. One model class exists per (device type, event), and
:data:`DeviceMessage` is the discriminated union of all of them: first by ``device_type``, then
by ``event``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, TypeAlias, Union, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    TypeAdapter,
    create_model,
)

from devices.contract.catalog import DEVICE_TYPES, DeviceTypeSpec, EventSpec, FieldSpec, event_spec
from devices.contract.wire_types import JsonInteger, Rfc3339Timestamp

SCHEMA_VERSION: Final = "1.0"

DEVICE_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
MESSAGE_ID_PATTERN: Final = r"^[^\x00-\x1f\x7f-\x9f]+$"
SEQ_LIMIT: Final = 2**63

ENVELOPE_FIELDS: Final = (
    "schema_version",
    "message_id",
    "device_id",
    "device_type",
    "event",
    "ts",
    "seq",
)
"""Envelope keys in canonical wire order; event fields follow in catalog order."""

DEVICE_TYPE_DESCRIPTION: Final = "Kind of device that sent the message (see the device catalog)."
EVENT_DESCRIPTION: Final = "What happened; the events depend on the device type."


class Envelope(BaseModel):
    """The fields every device message carries, whatever its kind and event.

    Validation is strict: numbers must be JSON numbers (an integer field takes any number with
    an integral value, as JSON Schema does) and ``ts`` an RFC 3339 ``date-time`` with a UTC
    offset (in Python code, an aware ``datetime``); see :mod:`devices.contract.wire_types`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    schema_version: Literal["1.0"] = Field(
        description="Version of the message contract; this is version 1.0."
    )
    message_id: str = Field(
        min_length=1,
        max_length=128,
        pattern=MESSAGE_ID_PATTERN,
        description="Unique id of this message from this device (1..128 characters, no control "
        "characters); a resend of the same message keeps its id.",
    )
    device_id: str = Field(
        pattern=DEVICE_ID_PATTERN,
        description="Id of the device, unique within the tenant (1..64 letters, digits, '_.-').",
    )
    device_type: str = Field(description=DEVICE_TYPE_DESCRIPTION)
    event: str = Field(description=EVENT_DESCRIPTION)
    ts: Rfc3339Timestamp = Field(
        description="When the event happened at the device, RFC 3339 with UTC offset; sent in UTC "
        "with milliseconds, e.g. 2026-01-05T08:13:22.125Z.",
    )
    seq: JsonInteger = Field(
        ge=0,
        lt=SEQ_LIMIT,
        description="Per-device message counter, starting at 0 and increasing by 1 per message; "
        "gaps reveal lost messages.",
    )


PYTHON_TYPES: Final[Mapping[str, Any]] = MappingProxyType(
    {"float": float, "int": JsonInteger, "str": str}
)


def model_name(device_type: str, event: str) -> str:
    """Class name of a message model, e.g. ``SafetyAlarmFallDetected``."""
    words = f"{device_type}_{event}".split("_")
    return "".join(word[:1].upper() + word[1:] for word in words)


def literal_of(value: str) -> Any:
    """The type ``Literal[value]`` for a value known only at run time."""
    return cast(Any, Literal)[value]


def field_definition(spec: FieldSpec) -> tuple[Any, Any]:
    """The pydantic ``(type, FieldInfo)`` pair of one catalog field."""
    python_type: Any = PYTHON_TYPES[spec.type]
    constraints: dict[str, Any] = {
        "description": spec.description,
        "examples": [spec.example],
        "ge": spec.ge,
        "le": spec.le,
        "pattern": spec.pattern,
    }
    if spec.type == "float":
        constraints["allow_inf_nan"] = False
    if spec.unit is not None:
        constraints["json_schema_extra"] = {"unit": spec.unit}
    if spec.required:
        return python_type, Field(**constraints)
    return python_type | None, Field(None, **constraints)


def build_model(spec: EventSpec) -> type[Envelope]:
    """Create the message model of one catalog event."""
    fields: dict[str, Any] = {
        "device_type": (literal_of(spec.device_type), Field(description=DEVICE_TYPE_DESCRIPTION)),
        "event": (literal_of(spec.event), Field(description=EVENT_DESCRIPTION)),
    }
    fields.update({field.name: field_definition(field) for field in spec.fields})
    return create_model(
        model_name(spec.device_type, spec.event),
        __base__=Envelope,
        __module__=__name__,
        __doc__=spec.meaning,
        **fields,
    )


MESSAGE_MODELS: Final[Mapping[tuple[str, str], type[Envelope]]] = MappingProxyType(
    {
        (kind.name, event.event): build_model(event)
        for kind in DEVICE_TYPES.values()
        for event in kind.events.values()
    }
)
"""Every message model keyed by ``(device_type, event)``, in catalog order (read-only)."""

# Make the generated classes importable by name
# (``devices.contract.messages.SafetyAlarmFallDetected``),
# which pickling (e.g. for parallel replications) relies on.
globals().update({model.__name__: model for model in MESSAGE_MODELS.values()})


def message_tag(value: object) -> str | None:
    """The union tag ``"{device_type}.{event}"`` of a dict or a message model, or None."""
    if isinstance(value, Mapping):
        kind, event = value.get("device_type"), value.get("event")
    else:
        kind, event = getattr(value, "device_type", None), getattr(value, "event", None)
    if isinstance(kind, str) and isinstance(event, str):
        return f"{kind}.{event}"
    return None


def event_union(kind: DeviceTypeSpec) -> Any:
    """The union of one device kind's message models, discriminated by ``event``."""
    members = tuple(MESSAGE_MODELS[(kind.name, event)] for event in kind.events)
    if len(members) == 1:
        return members[0]
    return Annotated[cast(Any, Union)[members], Discriminator("event")]


def device_message_union() -> Any:
    """The union of all message models, discriminated by ``device_type`` and then ``event``."""
    members = tuple(event_union(kind) for kind in DEVICE_TYPES.values())
    return Annotated[cast(Any, Union)[members], Discriminator("device_type")]


if TYPE_CHECKING:
    DeviceMessage: TypeAlias = Envelope
else:
    DeviceMessage = device_message_union()
    """Any valid device message: the discriminated union of all message models."""

MESSAGE_ADAPTER: Final[TypeAdapter[DeviceMessage]] = TypeAdapter(
    DeviceMessage, config=ConfigDict(cache_strings="keys")
)
"""Validates any device message from JSON (``validate_json``) or Python objects.

The JSON parser reuses the keys it has seen but not the values: ids and timestamps differ in
nearly every message, and caching them cost about 6 % more instructions per validation."""


def message_model(device_type: str, event: str) -> type[Envelope]:
    """The model class of one event; raises ``UnknownDeviceType`` or ``UnknownEvent``."""
    event_spec(device_type, event)
    return MESSAGE_MODELS[(device_type, event)]


def message_fields(message: BaseModel) -> dict[str, object]:
    """The event-specific fields of a message (everything but the envelope), in catalog order."""
    return {
        name: getattr(message, name)
        for name in type(message).model_fields
        if name not in ENVELOPE_FIELDS
    }
