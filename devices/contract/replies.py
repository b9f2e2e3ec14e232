"""What the centre answers on its own topics: acknowledgements and rejections.

For every message on an ``events`` topic the centre publishes exactly one answer, at QoS 1:
an :class:`Acknowledgement` on ``vt/v1/{tenant}/centre/ack/{device_id}`` or a
:class:`RejectionNotice` on ``vt/v1/{tenant}/centre/rejected/{device_id}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal, TypeAlias, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from devices.contract.codec import RejectReason
from devices.contract.messages import DEVICE_ID_PATTERN, MESSAGE_ID_PATTERN, SEQ_LIMIT

__all__ = [
    "REASON_DESCRIPTIONS",
    "REJECTION_REASONS",
    "Acknowledgement",
    "RejectionNotice",
    "RejectionReason",
]

RejectionReason: TypeAlias = Literal[RejectReason, "duplicate", "id_conflict", "rate_limited",
                                     "retained_event"]
"""Every reason code: the decoder's, plus ``duplicate`` and ``id_conflict``, which need the
receiver's memory of message ids (:mod:`devices.contract.reception`), ``rate_limited``,
which needs its clock, and ``retained_event``, which needs the MQTT delivery's retain flag."""

REJECTION_REASONS: Final[tuple[str, ...]] = get_args(RejectionReason)

REASON_DESCRIPTIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "oversize": "The payload is larger than the receiver accepts (16 KiB by default).",
        "invalid_utf8": "The payload is not valid UTF-8 text.",
        "not_json": "The payload is not a JSON document.",
        "not_object": "The payload is JSON, but not a JSON object.",
        "too_deep": "The object nests deeper than the receiver accepts (8 levels by default).",
        "unknown_device_type": "'device_type' is missing or not a kind in the device catalog.",
        "unknown_event": "'event' is missing or not an event of the message's device type.",
        "schema": "A field is missing, extra, of the wrong type or out of bounds.",
        "topic_mismatch": "The device type or id in the payload differs from the topic's.",
        "bad_topic": "The topic does not follow the scheme "
        "vt/v1/{tenant}/{device_type}/{device_id}/events (or .../status): tenant and device id "
        "of 1..64 ASCII letters, digits and '_.-' (the tenant not 'centre'), a device type of "
        "the catalog. A topic whose tenant level breaks the scheme is not answered (no answer "
        "topic of the scheme exists for it): the live centre stores and counts it.",
        "ts_in_future": "'ts' is further ahead of the receiver's clock than allowed (5 min).",
        "ts_in_past": "'ts' is further behind the receiver's clock than allowed (7 days).",
        "duplicate": "The same message came before (same 'message_id', 'event', 'seq' and 'ts', "
        "within 7 days): it was handled then and is not handled again. A device that resends "
        "after a lost answer may take this as success.",
        "id_conflict": "The device used this 'message_id' before for another message (another "
        "'event', 'seq' or 'ts'). The centre handled this message all the same (an alarm became "
        "an incident): do not resend it, but fix the id scheme so that every message gets an id "
        "of its own (ids must survive a restart of the device).",
        "rate_limited": "The device sent more messages than the centre's per-device rate limit "
        "allows (20 a second, bursts of 200, by default); the message was not handled: resend "
        "it later with the same 'message_id'.",
        "retained_event": "The message came with the MQTT retain flag: a copy the broker keeps "
        "and delivers again to every new subscriber (the centre after each restart). It is not "
        "handled (no incident is opened): publish events without retain, and clear the "
        "retained copy with an empty retained message on its topic (the centre does not answer "
        "that). The same holds for SCAIP payloads.",
    }
)
"""What each reason code means, for vendors."""


class Acknowledgement(BaseModel):
    """The centre received, validated and recorded one device message."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    schema_version: Literal["1.0"] = Field(
        description="Version of the message contract; this is version 1.0."
    )
    message_id: str = Field(
        min_length=1,
        max_length=128,
        pattern=MESSAGE_ID_PATTERN,
        description="'message_id' of the acknowledged message.",
    )
    device_id: str = Field(pattern=DEVICE_ID_PATTERN, description="The device that sent it.")
    seq: int = Field(ge=0, lt=SEQ_LIMIT, description="'seq' of the acknowledged message.")
    received_at: AwareDatetime = Field(
        description="When the centre received the message, UTC ISO-8601 with milliseconds."
    )
    clock_offset_s: float | None = Field(
        default=None,
        description="Only when the device's clock is off (an alarm whose 'ts' is more than 7 "
        "days old or 5 minutes ahead, taken all the same): 'ts' minus the centre's receive "
        "time in seconds (negative: the device clock is behind). Set the device's clock.",
    )


class FaultNotice(BaseModel):
    """One more fault of a refused message: where, what the contract expects, what came."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    path: str = Field(description="Dotted path of the offending field.")
    expected: str = Field(description="What the contract expects there.")
    got: str = Field(description="What came, shortened to at most 80 printable characters.")


class RejectionNotice(BaseModel):
    """The centre refused one message: why, where, what it expected and what came."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    topic: str = Field(description="The topic the refused message came on.")
    reason: RejectionReason = Field(description="Stable reason code (see the contract).")
    path: str = Field(
        description="Dotted path of the offending field, e.g. 'battery_pct'; empty when the "
        "problem is the payload as a whole."
    )
    expected: str = Field(description="What the contract expects there.")
    got: str = Field(description="What came, shortened to at most 80 printable characters.")
    message_id: str | None = Field(
        None,
        description="The refused message's own 'message_id', when it has a usable one (absent "
        "when the payload has none, e.g. not JSON).",
    )
    seq: int | None = Field(
        None, ge=0, lt=SEQ_LIMIT, description="The refused message's own 'seq', when usable."
    )
    more: list[FaultNotice] | None = Field(
        None,
        description="The message's other faults, after the one in 'path' (a schema rejection "
        "lists every field that breaks the contract, at most 20 in all); absent when there are "
        "none.",
    )
