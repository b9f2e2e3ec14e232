"""Offline validation of message files, as a vendor runs it with ``vtsim validate``.

A file holds one JSON message, a JSON array of messages, or JSON Lines (one message per line).
Each message is judged by the same decoder the centre uses
(:func:`devices.contract.codec.decode_message`,
or :func:`devices.contract.codec.decode_status` for status messages), on the topic the vendor names
or
else the topic the message itself implies. Message ids follow the centre's duplicate rule
(:mod:`devices.contract.reception`): a message that came before, with the same ``message_id``,
``event``, ``seq`` and ``ts``, is a ``duplicate``; an id an earlier message of the same device
used for other content is an ``id_conflict`` (the centre handles such a message, but answers it
with that reason, so it is reported as a fault to fix).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from devices.contract.codec import (
    DEFAULT_LIMITS,
    Accepted,
    Fault,
    Limits,
    Rejected,
    StatusAccepted,
    decode_message,
    decode_status,
    preview,
)
from devices.contract.messages import DeviceMessage
from devices.contract.reception import DUPLICATE, ID_CONFLICT, NEW, MessageMemory
from devices.contract.topics import CENTRE, EVENTS, KIND, LEVEL, PREFIX, STATUS, parse_device_topic

DEFAULT_TENANT: Final = "demo"
UNKNOWN_LEVEL: Final = "unknown"
"""Topic level used when a payload names no usable device type or id (it is rejected anyway)."""


@dataclass(frozen=True, slots=True)
class Item:
    """One message read from a file: where it came from and its raw bytes."""

    label: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class ItemVerdict:
    """The verdict on one item; ``reason`` etc. are empty when it was accepted."""

    item: str
    topic: str
    accepted: bool
    reason: str = ""
    path: str = ""
    expected: str = ""
    got: str = ""
    more: tuple[Fault, ...] = ()
    """The item's other faults, after the one in ``path``."""

    def as_json(self) -> dict[str, Any]:
        """The verdict as a JSON-ready dict (``verdict`` is ``accepted`` or ``rejected``;
        ``more`` lists further faults of the same message, when there are any)."""
        document: dict[str, Any] = {
            "item": self.item,
            "topic": self.topic,
            "verdict": "accepted" if self.accepted else "rejected",
            "reason": self.reason,
            "path": self.path,
            "expected": self.expected,
            "got": self.got,
        }
        if self.more:
            document["more"] = [asdict(fault) for fault in self.more]
        return document


# --- reading files --------------------------------------------------------------------------


def read_items(path: Path) -> list[Item]:
    """The messages in one file: one JSON value, a JSON array, or JSON Lines.

    A file that is neither an array nor a single JSON value but has several non-empty lines is
    read as JSON Lines, each line one item (a broken line is an item that will be rejected).
    Anything else, binary files included, is one item judged as it is.
    """
    return split_items(path.name, path.read_bytes())


def split_items(name: str, data: bytes) -> list[Item]:
    """Split the bytes of a file named ``name`` into items (see :func:`read_items`)."""
    document = parse_whole(data)
    if isinstance(document, list):
        return [
            Item(f"{name}[{index}]", encode_element(value)) for index, value in enumerate(document)
        ]
    if document is not None:
        return [Item(name, data)]
    lines = [(number, line) for number, line in enumerate(data.split(b"\n"), 1) if line.strip()]
    if len(lines) > 1:
        return [Item(f"{name}:{number}", line.rstrip(b"\r")) for number, line in lines]
    return [Item(name, data)]


def parse_whole(data: bytes) -> Any:
    """The file as one JSON value, or None when it is not one (or is JSON ``null``)."""
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def encode_element(value: Any) -> bytes:
    """One array element as the JSON payload a device would send."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


# --- judging --------------------------------------------------------------------------------


def judge_items(
    items: Iterable[Item],
    *,
    topic: str | None = None,
    tenant: str = DEFAULT_TENANT,
    now_epoch_s: float | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[ItemVerdict]:
    """Judge every item, in order; repeated message ids are judged by the centre's rule."""
    return [verdict for _, verdict in judged(items, topic, tenant, now_epoch_s, limits,
                                             MessageIds())]


class MessageIds:
    """The message ids of the items judged so far: the centre's memory, and where each id was
    first used (for the verdict's text). Offline every item counts as received at once."""

    def __init__(self) -> None:
        self.memory = MessageMemory()
        self.first: dict[tuple[str, str], str] = {}

    def check(self, verdict: ItemVerdict, label: str, message: DeviceMessage) -> ItemVerdict:
        """The verdict on an accepted message after the duplicate rule."""
        repeat = self.memory.check_in(verdict.topic, message.message_id, message.event,
                                      message.seq, message.ts, 0.0)
        first = self.first.setdefault((verdict.topic, message.message_id), label)
        if repeat == NEW:
            return verdict
        return (duplicate if repeat == DUPLICATE else id_conflict)(
            verdict, message.message_id, first)


def judged(
    items: Iterable[Item],
    topic: str | None,
    tenant: str,
    now_epoch_s: float | None,
    limits: Limits,
    ids: MessageIds,
) -> Iterator[tuple[Item, ItemVerdict]]:
    """Each item with its verdict, message ids checked against ``ids`` (which grows)."""
    for item in items:
        verdict, message = judge_item(item, topic, tenant, now_epoch_s, limits)
        if message is not None:
            verdict = ids.check(verdict, item.label, message)
        yield item, verdict


def judge_item(
    item: Item, topic: str | None, tenant: str, now_epoch_s: float | None, limits: Limits
) -> tuple[ItemVerdict, DeviceMessage | None]:
    """The verdict on one item, and the message of an accepted device message."""
    document = peek_object(item.payload)
    is_status = is_status_topic(topic) if topic else looks_like_status(document)
    where = topic or implied_topic(document, tenant, STATUS if is_status else EVENTS)
    if is_status:
        status = decode_status(where, item.payload, now_epoch_s=now_epoch_s, limits=limits)
        if isinstance(status, StatusAccepted):
            return ItemVerdict(item.label, where, True), None
        return rejected(item.label, status), None
    verdict = decode_message(where, item.payload, now_epoch_s=now_epoch_s, limits=limits)
    if isinstance(verdict, Accepted):
        return ItemVerdict(item.label, where, True), verdict.message
    return rejected(item.label, verdict), None


def rejected(label: str, verdict: Rejected) -> ItemVerdict:
    """An item verdict from a decoder's rejection."""
    return ItemVerdict(
        label, verdict.topic, False, verdict.reason, verdict.path, verdict.expected, verdict.got,
        verdict.more,
    )


def duplicate(verdict: ItemVerdict, message_id: str, first: str) -> ItemVerdict:
    """The verdict on a copy of an earlier message (same id, event, seq and ts)."""
    return ItemVerdict(
        verdict.item,
        verdict.topic,
        False,
        DUPLICATE,
        "message_id",
        f"a message not sent before (this copies an earlier message; its id was first used in "
        f"{first}; the centre does not handle it again)",
        preview(message_id),
    )


def id_conflict(verdict: ItemVerdict, message_id: str, first: str) -> ItemVerdict:
    """The verdict on a message reusing the id of an earlier, different message."""
    return ItemVerdict(
        verdict.item,
        verdict.topic,
        False,
        ID_CONFLICT,
        "message_id",
        f"a message_id this device has not used for another message (first used in {first}; "
        "the centre handles this message but answers id_conflict)",
        preview(message_id),
    )


def peek_object(payload: bytes) -> dict[str, Any] | None:
    """The payload as a JSON object if it is one, else None (never raises)."""
    try:
        document = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def looks_like_status(document: dict[str, Any] | None) -> bool:
    """Whether a payload is meant as a status message: it has ``status`` and no ``event``."""
    return document is not None and "status" in document and "event" not in document


def is_status_topic(topic: str) -> bool:
    """Whether ``topic`` is a device's ``status`` topic."""
    parts = parse_device_topic(topic)
    return parts is not None and parts.channel == STATUS


def implied_topic(document: dict[str, Any] | None, tenant: str, channel: str) -> str:
    """The topic a message's own device type and id imply, within ``tenant``.

    Levels that are missing or unusable become ``unknown``; the decoder then rejects the
    payload for its own fields before the topic matters.
    """
    document = document or {}
    kind = document.get("device_type")
    device_id = document.get("device_id")
    usable_kind = isinstance(kind, str) and KIND.fullmatch(kind) is not None and kind != CENTRE
    usable_id = isinstance(device_id, str) and LEVEL.fullmatch(device_id) is not None
    kind_level = kind if usable_kind else UNKNOWN_LEVEL
    id_level = device_id if usable_id else UNKNOWN_LEVEL
    return f"{PREFIX}/{tenant}/{kind_level}/{id_level}/{channel}"


def summary_counts(verdicts: Iterable[ItemVerdict]) -> dict[str, int]:
    """How many items were judged, accepted and rejected."""
    verdicts = list(verdicts)
    accepted = sum(1 for verdict in verdicts if verdict.accepted)
    return {"items": len(verdicts), "accepted": accepted, "rejected": len(verdicts) - accepted}
