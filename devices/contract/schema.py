"""JSON Schema (2020-12) and AsyncAPI 3.0.0 documents, generated from the message models.

Nothing here is written by hand: models come from :mod:`devices.contract.messages`,
:mod:`devices.contract.status`
and :mod:`devices.contract.replies`; descriptions, units, examples and SCAIP codes from
:mod:`devices.contract.catalog`. Both documents are plain JSON-ready dicts with a stable key order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import orjson
from pydantic import BaseModel

from devices.contract.catalog import (
    DEVICE_TYPES,
    SCAIP_DEVICE_TYPE_NAMES,
    SCAIP_MESSAGE_TYPE_NAMES,
    SCAIP_SOURCE,
    SCAIP_STANDARD,
    SCAIP_STATUS_NAMES,
    DeviceTypeSpec,
    EventSpec,
    ScaipCodes,
)
from devices.contract.codec import DEFAULT_LIMITS
from devices.contract.examples import (
    EXAMPLE_TENANT,
    example_acknowledgement,
    example_device_id,
    example_message,
    example_status,
)
from devices.contract.messages import MESSAGE_ADAPTER, MESSAGE_MODELS, SCHEMA_VERSION, model_name
from devices.contract.replies import REASON_DESCRIPTIONS, Acknowledgement, RejectionNotice
from devices.contract.scaip_answers import answer_schema
from devices.contract.status import STATUS_SCAIP, DeviceStatus

JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID: Final = f"urn:vtsim:message-contract:{SCHEMA_VERSION}"
ROOT: Final = "DeviceMessage"
DEFS_REF: Final = "#/$defs/"
COMPONENTS_REF: Final = "#/components/schemas/"
MQTT_BINDING_VERSION: Final = "0.2.0"
QOS: Final = 1

EVENTS_ADDRESS: Final = "vt/v1/{tenant}/{device_type}/{device_id}/events"
STATUS_ADDRESS: Final = "vt/v1/{tenant}/{device_type}/{device_id}/status"
ACK_ADDRESS: Final = "vt/v1/{tenant}/centre/ack/{device_id}"
REJECTED_ADDRESS: Final = "vt/v1/{tenant}/centre/rejected/{device_id}"
SCAIP_ADDRESS: Final = "vt/v1/{tenant}/scaip/{controller}"
SCAIP_ANSWER_ADDRESS: Final = "vt/v1/{tenant}/centre/scaip/{controller}"

REPLY_MODELS: Final[tuple[type[BaseModel], ...]] = (DeviceStatus, Acknowledgement, RejectionNotice)


# --- SCAIP extension ------------------------------------------------------------------------


def scaip_extension(codes: ScaipCodes) -> dict[str, str]:
    """The ``x-scaip`` object of one event: its codes with their names; empty codes left out."""
    extension: dict[str, str] = {}
    if codes.device_type is not None:
        extension["device_type"] = codes.device_type
        extension["device_type_name"] = SCAIP_DEVICE_TYPE_NAMES[codes.device_type]
    if codes.status is not None:
        extension["status"] = codes.status
        extension["status_name"] = SCAIP_STATUS_NAMES[codes.status]
    if codes.message_type is not None:
        extension["message_type"] = codes.message_type
        extension["message_type_name"] = SCAIP_MESSAGE_TYPE_NAMES[codes.message_type]
    if codes.note:
        extension["note"] = codes.note
    return extension


# --- JSON Schema ----------------------------------------------------------------------------


def kind_union_name(kind: DeviceTypeSpec) -> str:
    """Name of a device kind's message union, e.g. ``SafetyAlarmMessage``."""
    return model_name(kind.name, "message")


def event_definition(spec: EventSpec, definition: Mapping[str, Any]) -> dict[str, Any]:
    """One event's model schema, with its Norwegian meaning, SCAIP codes and an example."""
    body = dict(definition)
    body["x-meaning-nb"] = spec.meaning_nb
    body["x-incident"] = spec.incident
    body["x-scaip"] = scaip_extension(spec.scaip)
    body["examples"] = [example_message(spec)]
    return body


def kind_definition(kind: DeviceTypeSpec) -> dict[str, Any]:
    """A device kind's union of event models, discriminated by ``event``."""
    refs = {event: f"{DEFS_REF}{model_name(kind.name, event)}" for event in kind.events}
    return {
        "title": kind_union_name(kind),
        "description": f"{kind.description} ({kind.name_nb})",
        "x-scaip": scaip_extension(ScaipCodes(kind.scaip_device_type)),
        "oneOf": [{"$ref": ref} for ref in refs.values()],
        "discriminator": {"propertyName": "event", "mapping": refs},
    }


def reply_definitions() -> dict[str, Any]:
    """Schemas of the status message, the acknowledgement and the rejection notice."""
    definitions: dict[str, Any] = {}
    for model in REPLY_MODELS:
        schema = model.model_json_schema(ref_template=DEFS_REF + "{model}")
        definitions.update(schema.pop("$defs", {}))  # nested models become definitions too
        definitions[model.__name__] = schema
    status = definitions["DeviceStatus"]
    status["x-scaip"] = {value: {"status": code} for value, code in STATUS_SCAIP.items()}
    status["examples"] = [example_status("medicine_dispenser", "online")]
    ack = definitions["Acknowledgement"]
    ack["examples"] = [example_acknowledgement(first_event())]
    reason = definitions["RejectionNotice"]["properties"]["reason"]
    reason["x-reasons"] = dict(REASON_DESCRIPTIONS)
    return definitions


def first_event() -> EventSpec:
    """The first event of the catalog (the example of single examples)."""
    kind = next(iter(DEVICE_TYPES.values()))
    return next(iter(kind.events.values()))


def message_definitions() -> dict[str, Any]:
    """Every schema the contract needs, by name: event models, kind unions, replies."""
    models = MESSAGE_ADAPTER.json_schema(ref_template=DEFS_REF + "{model}")["$defs"]
    definitions: dict[str, Any] = {}
    for kind in DEVICE_TYPES.values():
        definitions[kind_union_name(kind)] = kind_definition(kind)
        for spec in kind.events.values():
            name = MESSAGE_MODELS[(kind.name, spec.event)].__name__
            definitions[name] = event_definition(spec, models[name])
    definitions.update(reply_definitions())
    return definitions


def message_json_schema() -> dict[str, Any]:
    """JSON Schema 2020-12 of a device message (the union), with every other contract schema.

    The root validates one device message on an ``events`` topic. ``$defs`` also holds the
    status message, the centre's acknowledgement and rejection notice. Discriminators are
    OpenAPI-style annotations (``device_type``, then ``event``); validators that ignore them
    still validate exactly, because each model fixes its ``device_type`` and ``event``.
    """
    kinds = {kind.name: f"{DEFS_REF}{kind_union_name(kind)}" for kind in DEVICE_TYPES.values()}
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        "title": ROOT,
        "description": "A message a device publishes on vt/v1/{tenant}/{device_type}/{device_id}"
        f"/events; contract version {SCHEMA_VERSION}. Generated by vtsim from its models.",
        "x-scaip-standard": SCAIP_STANDARD,
        "x-scaip-source": SCAIP_SOURCE,
        "oneOf": [{"$ref": ref} for ref in kinds.values()],
        "discriminator": {"propertyName": "device_type", "mapping": kinds},
        "$defs": message_definitions(),
    }


# --- AsyncAPI -------------------------------------------------------------------------------


def rewrite_refs(node: Any, old: str, new: str) -> Any:
    """A copy of ``node`` with every ``$ref`` and discriminator mapping moved from old to new."""
    if isinstance(node, list):
        return [rewrite_refs(item, old, new) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {key: rewrite_refs(value, old, new) for key, value in node.items()}
    if isinstance(copy.get("$ref"), str):
        copy["$ref"] = copy["$ref"].replace(old, new, 1)
    if isinstance(copy.get("mapping"), dict):
        copy["mapping"] = {k: v.replace(old, new, 1) for k, v in copy["mapping"].items()}
    return copy


def asyncapi_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON Schema object as an AsyncAPI Schema object.

    AsyncAPI's ``discriminator`` is the property name alone; the mapping moves to
    ``x-discriminator-mapping``.
    """
    copy = {key: asyncapi_value(value) for key, value in schema.items()}
    discriminator = copy.get("discriminator")
    if isinstance(discriminator, dict):
        copy["discriminator"] = discriminator["propertyName"]
        copy["x-discriminator-mapping"] = discriminator["mapping"]
    return copy


def asyncapi_value(value: Any) -> Any:
    """:func:`asyncapi_schema` applied inside lists and nested schemas."""
    if isinstance(value, dict):
        return asyncapi_schema(value)
    if isinstance(value, list):
        return [asyncapi_value(item) for item in value]
    return value


def component_schemas() -> dict[str, Any]:
    """The contract's schemas as AsyncAPI components, the message union first."""
    document = rewrite_refs(message_json_schema(), DEFS_REF, COMPONENTS_REF)
    root = {
        key: value
        for key, value in document.items()
        if key not in ("$schema", "$id", "$defs", "x-scaip-standard", "x-scaip-source")
    }
    schemas = {ROOT: root, **document["$defs"]}
    return {name: asyncapi_schema(schema) for name, schema in schemas.items()}


def device_parameters() -> dict[str, Any]:
    """Channel parameters of a device topic."""
    return {
        "tenant": tenant_parameter(),
        "device_type": {
            "description": "Kind of device; the same as the payload's 'device_type'.",
            "enum": list(DEVICE_TYPES),
            "examples": ["medicine_dispenser"],
        },
        "device_id": device_id_parameter(),
    }


def tenant_parameter() -> dict[str, Any]:
    """The ``tenant`` channel parameter."""
    return {
        "description": "The municipality (or other tenant) the device belongs to: 1..64 "
        "letters, digits and '_.-'.",
        "examples": [EXAMPLE_TENANT],
    }


def device_id_parameter() -> dict[str, Any]:
    """The ``device_id`` channel parameter."""
    return {
        "description": "Id of the device; the same as the payload's 'device_id'.",
        "examples": [example_device_id("medicine_dispenser")],
    }


def message_examples() -> list[dict[str, Any]]:
    """One AsyncAPI message example per catalog event."""
    return [
        {
            "name": f"{spec.device_type}.{spec.event}",
            "summary": spec.meaning,
            "payload": example_message(spec),
        }
        for kind in DEVICE_TYPES.values()
        for spec in kind.events.values()
    ]


def component_messages() -> dict[str, Any]:
    """The messages of the contract, each with its payload schema."""
    binding = {"mqtt": {"bindingVersion": MQTT_BINDING_VERSION}}
    return {
        "DeviceMessage": {
            "name": "DeviceMessage",
            "title": "Device message",
            "summary": "An event from a device: alarm, telemetry or visit record.",
            "contentType": "application/json",
            "payload": {"$ref": f"{COMPONENTS_REF}{ROOT}"},
            "bindings": binding,
            "examples": message_examples(),
        },
        "DeviceStatus": {
            "name": "DeviceStatus",
            "title": "Device status",
            "summary": "Retained 'online'/'offline'; the last will carries 'offline'.",
            "contentType": "application/json",
            "payload": {"$ref": f"{COMPONENTS_REF}DeviceStatus"},
            "bindings": binding,
            "examples": [
                {"name": value, "payload": example_status("medicine_dispenser", value)}
                for value in ("online", "offline")
            ],
        },
        "Acknowledgement": {
            "name": "Acknowledgement",
            "title": "Acknowledgement",
            "summary": "The centre accepted and recorded a device message.",
            "contentType": "application/json",
            "payload": {"$ref": f"{COMPONENTS_REF}Acknowledgement"},
            "bindings": binding,
        },
        "RejectionNotice": {
            "name": "RejectionNotice",
            "title": "Rejection notice",
            "summary": "The centre refused a device message, with the reason.",
            "contentType": "application/json",
            "payload": {"$ref": f"{COMPONENTS_REF}RejectionNotice"},
            "bindings": binding,
        },
        "ScaipRequest": {
            "name": "ScaipRequest",
            "title": "SCAIP message request",
            "summary": "A SCAIP alarm message (mrq), UTF-8 XML without a DTD "
            "(docs/vendors.md#scaip).",
            "contentType": "application/xml",
            "payload": {"type": "string", "maxLength": DEFAULT_LIMITS.max_bytes},
            "bindings": binding,
        },
        "ScaipAnswer": {
            "name": "ScaipAnswer",
            "title": "SCAIP answer",
            "summary": "The mrs and the contract verdict for one SCAIP payload.",
            "contentType": "application/json",
            "payload": answer_schema(),
            "bindings": binding,
        },
    }


def channel(address: str, message: str, description: str, centre: bool) -> dict[str, Any]:
    """One channel carrying one message."""
    parameters = (
        {"tenant": tenant_parameter(), "device_id": device_id_parameter()}
        if centre
        else device_parameters()
    )
    return {
        "address": address,
        "description": description,
        "parameters": parameters,
        "messages": {message: {"$ref": f"#/components/messages/{message}"}},
    }


def channels() -> dict[str, Any]:
    """The device's two channels and the centre's two answer channels."""
    return {
        "deviceEvents": channel(
            EVENTS_ADDRESS,
            "DeviceMessage",
            "Events of one device. QoS 1, not retained; the centre answers each on "
            "centreAck or centreRejected.",
            centre=False,
        ),
        "deviceStatus": channel(
            STATUS_ADDRESS,
            "DeviceStatus",
            "Retained connection status of one device: 'online' after connecting; the MQTT "
            "last will on this topic carries 'offline'.",
            centre=False,
        ),
        "centreAck": channel(
            ACK_ADDRESS,
            "Acknowledgement",
            "The centre's acknowledgement of every accepted message of one device.",
            centre=True,
        ),
        "centreRejected": channel(
            REJECTED_ADDRESS,
            "RejectionNotice",
            "The centre's rejection of every refused message of one device, with the reason.",
            centre=True,
        ),
        "scaipRequests": scaip_channel(
            SCAIP_ADDRESS, "ScaipRequest",
            "SCAIP alarm messages (XML mrq) of one controller, translated to the contract and "
            "judged like events; the centre answers each on centreScaip."),
        "centreScaip": scaip_channel(
            SCAIP_ANSWER_ADDRESS, "ScaipAnswer",
            "The centre's answer to every SCAIP payload of one controller: the mrs and the "
            "contract verdict."),
    }


def scaip_channel(address: str, message: str, description: str) -> dict[str, Any]:
    """A channel of SCAIP payloads or answers, by controller."""
    return {
        "address": address,
        "description": description,
        "parameters": {"tenant": tenant_parameter(), "controller": {
            "description": "The SCAIP controller id (cid) of the request: 1..16 digits.",
            "examples": ["4711"]}},
        "messages": {message: {"$ref": f"#/components/messages/{message}"}},
    }


def operation(
    action: str, channel_name: str, message: str, summary: str, retain: bool = False
) -> dict[str, Any]:
    """One send or receive operation at QoS 1."""
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel_name}"},
        "summary": summary,
        "messages": [{"$ref": f"#/channels/{channel_name}/messages/{message}"}],
        "bindings": {
            "mqtt": {"qos": QOS, "retain": retain, "bindingVersion": MQTT_BINDING_VERSION}
        },
    }


def operations() -> dict[str, Any]:
    """What a device does: send events and status, receive the centre's answers."""
    return {
        "sendEvent": operation(
            "send", "deviceEvents", "DeviceMessage", "Publish an event (QoS 1)."
        ),
        "sendStatus": operation(
            "send",
            "deviceStatus",
            "DeviceStatus",
            "Publish 'online' (QoS 1, retained) after connecting; register 'offline' as the "
            "last will.",
            retain=True,
        ),
        "receiveAck": operation(
            "receive", "centreAck", "Acknowledgement", "Receive the centre's acknowledgements."
        ),
        "receiveRejection": operation(
            "receive", "centreRejected", "RejectionNotice", "Receive the centre's rejections."
        ),
        "sendScaip": operation(
            "send", "scaipRequests", "ScaipRequest", "Publish a SCAIP mrq (QoS 1)."
        ),
        "receiveScaipAnswer": operation(
            "receive", "centreScaip", "ScaipAnswer", "Receive the centre's SCAIP answers."
        ),
    }


def server_bindings() -> dict[str, Any]:
    """MQTT server bindings: a persistent session and the last will on the status topic."""
    will = example_status("medicine_dispenser", "offline")
    return {
        "mqtt": {
            "cleanSession": False,
            "keepAlive": 60,
            "lastWill": {
                "topic": STATUS_ADDRESS,
                "qos": QOS,
                "message": orjson.dumps(will).decode(),
                "retain": True,
            },
            "bindingVersion": MQTT_BINDING_VERSION,
        }
    }


def asyncapi_document() -> dict[str, Any]:
    """AsyncAPI 3.0.0 document of the contract, from the point of view of a device."""
    return {
        "asyncapi": "3.0.0",
        "id": SCHEMA_ID,
        "info": {
            "title": "vtsim device message contract",
            "version": SCHEMA_VERSION,
            "description": "How welfare-technology devices (safety alarms, GPS trackers, e-locks, "
            "medicine dispensers, night supervision) talk to the response centre "
            "(responssenter) over MQTT: JSON payloads, QoS 1, a retained status with a last "
            "will, and one answer from the centre per message. This document describes a "
            f"device. Payloads larger than {DEFAULT_LIMITS.max_bytes} bytes or nested deeper "
            f"than {DEFAULT_LIMITS.max_depth} levels are refused. SCAIP codes "
            f"({SCAIP_STANDARD}) are given as x-scaip; source: {SCAIP_SOURCE}",
        },
        "servers": {
            "local": {
                "host": "localhost:1883",
                "protocol": "mqtt",
                "protocolVersion": "3.1.1",
                "description": "`vtsim broker` or a Mosquitto on this machine.",
                "bindings": server_bindings(),
            }
        },
        "defaultContentType": "application/json",
        "channels": channels(),
        "operations": operations(),
        "components": {"schemas": component_schemas(), "messages": component_messages()},
    }
