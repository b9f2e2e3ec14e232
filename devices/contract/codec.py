"""Encoding and the one decode/validate path for device messages, shared by every transport.

:func:`decode_message` turns ``(topic, payload)`` into a :data:`Verdict`: :class:`Accepted` with
the validated message, or :class:`Rejected` with a stable reason code and the exact place of the
problem. It never raises. Valid input takes the fast path (one pydantic ``validate_json``); only
invalid input is diagnosed step by step.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, Final, Literal, TypeAlias

import orjson
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from devices.contract.catalog import DEVICE_TYPES
from devices.contract.messages import (
    MESSAGE_ADAPTER,
    MESSAGE_ID_PATTERN,
    SCHEMA_VERSION,
    SEQ_LIMIT,
    DeviceMessage,
    Envelope,
)
from devices.contract.status import DeviceState, DeviceStatus
from devices.contract.topics import EVENTS, LEVEL, STATUS, event_topic_levels, parse_device_topic
from devices.contract.wire_types import AS_INTEGER, AS_WHOLE_NUMBER

RejectReason: TypeAlias = Literal[
    "oversize",
    "invalid_utf8",
    "not_json",
    "not_object",
    "too_deep",
    "unknown_device_type",
    "unknown_event",
    "schema",
    "topic_mismatch",
    "bad_topic",
    "ts_in_future",
    "ts_in_past",
]

GOT_MAX_CHARS: Final = 80
UNDIAGNOSED: Final = "undiagnosed:"
EXPECTED_TOPIC: Final = "a topic vt/v1/{tenant}/{device_type}/{device_id}/events"
ORJSON_DEPTH_ERROR: Final = "depth limit exceeded"
ORJSON_MAX_DEPTH: Final = 1024

EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
TWO_DIGITS: Final = tuple(f"{i:02d}" for i in range(100))
THREE_DIGITS: Final = tuple(f"{i:03d}" for i in range(1000))
MINUTE_SECOND: Final = tuple(f"{m:02d}:{s:02d}" for m in range(60) for s in range(60))
"""``MM:SS`` of each second of an hour."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What the receiver tolerates: payload size, nesting depth and clock skew of ``ts``."""

    max_bytes: int = 16_384
    max_depth: int = 8
    max_future_s: float = 300.0
    max_past_s: float = 7 * 86_400.0

    def __post_init__(self) -> None:
        """Reject limits that would refuse every message."""
        if self.max_bytes < 1 or self.max_depth < 1 or self.max_future_s < 0 or self.max_past_s < 0:
            raise ValueError(f"limits must be positive: {self}")


DEFAULT_LIMITS: Final = Limits()


@dataclass(frozen=True, slots=True)
class Accepted:
    """A message that passed every check, with the topic it came on."""

    topic: str
    message: DeviceMessage


@dataclass(frozen=True, slots=True)
class Fault:
    """One thing wrong in a message: where (dotted field path), what was expected, what came."""

    path: str
    expected: str
    got: str


MAX_FAULTS: Final = 20
"""Most faults reported for one message (a hostile message may have thousands)."""


@dataclass(frozen=True, slots=True)
class Rejected:
    """A message that failed a check: why (stable code), where, what was expected and found.

    ``path``, ``expected`` and ``got`` describe the first fault; ``more`` holds the others found
    in the same message (a schema rejection reports every field that breaks the contract, at
    most :data:`MAX_FAULTS`).
    """

    topic: str
    reason: RejectReason
    path: str
    expected: str
    got: str
    more: tuple[Fault, ...] = ()
    message_id: str | None = None
    """The refused message's own ``message_id``, when it has a usable one."""
    seq: int | None = None
    """The refused message's own ``seq``, when it has a usable one."""

    @property
    def faults(self) -> tuple[Fault, ...]:
        """Every fault found, the first one first."""
        return (Fault(self.path, self.expected, self.got), *self.more)

    def describe(self) -> str:
        """One printable line a vendor can act on (the first fault, and how many more)."""
        where = f"{printable(self.topic)}: {self.reason} at '{self.path}'"
        others = f" (and {len(self.more)} more)" if self.more else ""
        return f"{where}: expected {printable(self.expected)}, got {self.got}{others}"


Verdict: TypeAlias = Accepted | Rejected


# --- encoding -------------------------------------------------------------------------------


def format_ts(epoch_s: float) -> str:
    """UTC ISO-8601 with milliseconds and a trailing ``Z``, e.g. ``2026-01-05T08:13:22.125Z``.

    Rounds to the nearest millisecond. Built from lookup tables (the date and hour of recent
    hours are cached, minutes and seconds come from one table) rather than format specs,
    because the simulator calls it for every message.
    """
    hours, millis_of_hour = divmod(round(epoch_s * 1000), 3_600_000)
    second_of_hour, millis = divmod(millis_of_hour, 1000)
    return f"{hour_text(hours)}{MINUTE_SECOND[second_of_hour]}.{THREE_DIGITS[millis]}Z"


@lru_cache(maxsize=1024)
def hour_text(hours: int) -> str:
    """``YYYY-MM-DDTHH:`` of the hour ``hours`` after 1970-01-01T00 (memoised: a pure
    function)."""
    days, hour = divmod(hours, 24)
    return f"{date.fromordinal(EPOCH_ORDINAL + days).isoformat()}T{TWO_DIGITS[hour]}:"


def format_datetime(moment: datetime) -> str:
    """An aware datetime as UTC ISO-8601 with milliseconds (truncated) and a trailing ``Z``.

    A moment that has no UTC equivalent within years 1..9999 keeps its own offset.
    """
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        return moment.isoformat(timespec="milliseconds")
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def encode_fields(
    device_type: str,
    device_id: str,
    event: str,
    message_id: str,
    ts: str,
    seq: int,
    fields: Mapping[str, object],
) -> bytes:
    """Compact JSON of one message, without validation: the simulator's fast path.

    Keys come in canonical order: the envelope, then ``fields`` in the order given (pass them
    in catalog order, as :meth:`devices.models.base.Device.sample_fields` does). ``ts`` must
    already be
    formatted (see :func:`format_ts`).
    """
    body: dict[str, object] = {
        "schema_version": SCHEMA_VERSION,
        "message_id": message_id,
        "device_id": device_id,
        "device_type": device_type,
        "event": event,
        "ts": ts,
        "seq": seq,
    }
    body.update(fields)
    return orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)


def json_text(value: str) -> str:
    """``value`` escaped for use between the quotes of a JSON string, as orjson writes it
    (``value`` itself, the same object, when nothing needs escaping)."""
    escaped = orjson.dumps(value)[1:-1].decode("utf-8")
    return value if escaped == value else escaped


def encode_device_message(
    json_id: str,
    id_stem: str,
    device_type: str,
    event: str,
    ts: str,
    seq: int,
    fields: Mapping[str, object],
) -> bytes:
    """:func:`encode_fields` of a device's next message, byte for byte, written faster.

    The message id is ``id_stem`` and the sequence number (``{id_stem}-{seq:08d}``); the stem
    is the device id, or the device id and a run id for a fleet on a real broker.
    ``json_id`` and ``id_stem`` come already escaped (:func:`json_text`); ``device_type`` and
    ``event`` are catalog names and ``ts`` comes from :func:`format_ts`, none of which needs
    escaping. The envelope is one formatted string; the fields, if any, are written by orjson
    and joined on.
    """
    head = (
        f'{{"schema_version":"{SCHEMA_VERSION}","message_id":"{id_stem}-{seq:08d}",'
        f'"device_id":"{json_id}","device_type":"{device_type}","event":"{event}",'
        f'"ts":"{ts}","seq":{seq}'
    )
    if not fields:
        return (head + "}").encode()
    return (head + ",").encode() + orjson.dumps(fields, option=orjson.OPT_SERIALIZE_NUMPY)[1:]


def encode_message(message: Envelope) -> bytes:
    """Compact JSON of a validated message, ``ts`` in UTC with milliseconds."""
    body = message.model_dump(exclude_none=True)
    body["ts"] = format_datetime(message.ts)
    return orjson.dumps(body)


def encode_rejection(rejected: Rejected) -> bytes:
    """Compact JSON of a rejection, as the centre publishes it on its ``rejected`` topic."""
    return orjson.dumps(
        {
            "topic": rejected.topic,
            "reason": rejected.reason,
            "path": rejected.path,
            "expected": rejected.expected,
            "got": rejected.got,
            **more_faults(rejected),
            **message_ids(rejected),
        }
    )


def message_ids(rejected: Rejected) -> dict[str, str | int]:
    """``message_id`` and ``seq`` of the refused message, those it has."""
    ids: dict[str, str | int] = {}
    if rejected.message_id is not None:
        ids["message_id"] = rejected.message_id
    if rejected.seq is not None:
        ids["seq"] = rejected.seq
    return ids


def more_faults(rejected: Rejected) -> dict[str, list[dict[str, str]]]:
    """``{"more": [...]}`` with the faults after the first, or nothing when there are none."""
    if not rejected.more:
        return {}
    return {"more": [{"path": f.path, "expected": f.expected, "got": f.got} for f in rejected.more]}


# --- decoding: fast path --------------------------------------------------------------------


def decode_message(
    topic: str,
    payload: bytes,
    *,
    now_epoch_s: float | None = None,
    limits: Limits = DEFAULT_LIMITS,
    roots: TenantRoots | None = None,
) -> Verdict:
    """Validate one received message; never raises.

    Checks, in order: size; the payload against the contract (diagnosed precisely when it
    fails); the topic against the payload; ``ts`` against the receiver clock ``now_epoch_s``
    when given. Duplicates are not detected here; that needs the centre's state. A receiver
    that decodes many messages passes its own ``roots``, which remembers the topic roots
    already checked.
    """
    if len(payload) > limits.max_bytes:
        return Rejected(
            topic, "oversize", "", f"at most {limits.max_bytes} bytes", f"{len(payload)} bytes"
        )
    try:
        message = validate_json(payload)
    except ValidationError as error:
        return identified(diagnose_safely(topic, payload, error, limits), payload)
    # Fast path: the usual message, on its own topic and within the clock limits.
    fields = message.__dict__  # one lookup, then plain dictionary reads: cheaper
    own_levels = f"/{fields['device_type']}/{fields['device_id']}/{EVENTS}"
    root = topic[: len(topic) - len(own_levels)]
    if topic.endswith(own_levels) and (
        is_tenant_root(root) if roots is None else (roots.known.get(root) or roots.valid(root))
    ):
        if now_epoch_s is None:
            return accepted(topic, message)
        ts_s = fields["ts"].timestamp()
        if now_epoch_s - limits.max_past_s <= ts_s <= now_epoch_s + limits.max_future_s:
            return accepted(topic, message)
    verdict = check_delivery(topic, message, now_epoch_s, limits)
    if isinstance(verdict, Rejected):
        return replace(verdict, message_id=message.message_id, seq=message.seq)
    return verdict


def identified(rejected: Rejected, payload: bytes) -> Rejected:
    """``rejected`` with the message's own ``message_id`` and ``seq``, where the payload has
    usable ones, so that the device can tell which of its messages was refused."""
    message_id, seq = ids_in(payload)
    if message_id is None and seq is None:
        return rejected
    return replace(rejected, message_id=message_id, seq=seq)


def ids_in(payload: bytes) -> tuple[str | None, int | None]:
    """The ``message_id`` and ``seq`` of a payload that may break the contract in any way:
    each only if it is of the contract's type and within its bounds."""
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(document, dict):
        return None, None
    message_id, seq = document.get("message_id"), document.get("seq")
    usable_id = isinstance(message_id, str) and 0 < len(message_id) <= 128 and (
        re.fullmatch(MESSAGE_ID_PATTERN, message_id) is not None
    )
    usable_seq = type(seq) is int and 0 <= seq < SEQ_LIMIT
    return (message_id if usable_id else None), (seq if usable_seq else None)


validate_json: Final = MESSAGE_ADAPTER.validator.validate_json
"""``MESSAGE_ADAPTER.validate_json`` with its defaults, called on the core validator directly."""


def is_tenant_root(root: str) -> bool:
    """Whether ``root`` is ``vt/v1/{tenant}`` with a valid tenant level, so that ``root``
    followed by a device's type, id and ``events`` is an event topic."""
    return event_topic_levels(f"{root}/kind/id/{EVENTS}") is not None


class TenantRoots:
    """A receiver's memo of :func:`is_tenant_root`: a pure function of the root, and a centre
    sees few tenants, so each root is checked once. Keeps at most ``kept`` roots and starts
    afresh when full, so that a stream of made-up tenants cannot grow it without bound."""

    __slots__ = ("_kept", "known")

    def __init__(self, kept: int = 1024) -> None:
        self.known: dict[str, bool] = {}
        """The roots checked so far and whether each is valid (read it directly on a hot path:
        a root missing here is checked by :meth:`valid`)."""
        self._kept = kept

    def __len__(self) -> int:
        return len(self.known)

    def valid(self, root: str) -> bool:
        """``is_tenant_root(root)``, remembered."""
        known = self.known.get(root)
        if known is None:
            known = is_tenant_root(root)
            if len(self.known) >= self._kept:
                self.known.clear()
            self.known[root] = known
        return known


_new_object = object.__new__
_set_topic = vars(Accepted)["topic"].__set__
_set_message = vars(Accepted)["message"].__set__


def accepted(topic: str, message: DeviceMessage) -> Accepted:
    """``Accepted(topic, message)``, built without the frozen-dataclass ``__init__`` (faster)."""
    verdict: Accepted = _new_object(Accepted)
    _set_topic(verdict, topic)
    _set_message(verdict, message)
    return verdict


def check_delivery(
    topic: str, message: DeviceMessage, now_epoch_s: float | None, limits: Limits
) -> Verdict:
    """Check a valid message against the topic it came on and the receiver's clock."""
    levels = event_topic_levels(topic)
    if levels is None:
        return Rejected(topic, "bad_topic", "", EXPECTED_TOPIC, preview(topic))
    _, device_type, device_id = levels
    if device_type not in DEVICE_TYPES or LEVEL.fullmatch(device_id) is None:
        return Rejected(topic, "bad_topic", "", EXPECTED_TOPIC, preview(topic))
    if device_type != message.device_type:
        return topic_mismatch(topic, "device_type", device_type, message.device_type)
    if device_id != message.device_id:
        return topic_mismatch(topic, "device_id", device_id, message.device_id)
    if now_epoch_s is not None:
        return check_clock(topic, message, now_epoch_s, limits)
    return Accepted(topic, message)


def topic_mismatch(topic: str, path: str, in_topic: str, in_payload: str) -> Rejected:
    """The payload names another device (kind) than the topic it was published on."""
    return Rejected(
        topic, "topic_mismatch", path, f"{preview_json(in_topic)} (as in the topic)",
        preview(in_payload),
    )


def check_clock(topic: str, message: DeviceMessage, now_epoch_s: float, limits: Limits) -> Verdict:
    """Reject a ``ts`` too far ahead of or behind the receiver's clock."""
    ts_s = message.ts.timestamp()
    latest = now_epoch_s + limits.max_future_s
    if ts_s > latest:
        return clock_rejection(
            topic, message, "ts_in_future", f"no later than {format_bound(latest)}"
        )
    earliest = now_epoch_s - limits.max_past_s
    if ts_s < earliest:
        return clock_rejection(
            topic, message, "ts_in_past", f"no earlier than {format_bound(earliest)}"
        )
    return Accepted(topic, message)


def clock_rejection(
    topic: str, message: DeviceMessage, reason: RejectReason, expected: str
) -> Rejected:
    """A rejection of the message's ``ts``, showing it as sent (with its own offset)."""
    return Rejected(topic, reason, "ts", expected, message.ts.isoformat())


def format_bound(epoch_s: float) -> str:
    """A clock bound for a rejection text; one outside years 1..9999 in seconds since 1970."""
    try:
        return format_ts(epoch_s)
    except (OverflowError, ValueError):
        return f"{epoch_s} s since 1970-01-01T00:00:00Z"


# --- decoding: diagnosis of invalid payloads ------------------------------------------------


def diagnose_safely(topic: str, payload: bytes, error: ValidationError, limits: Limits) -> Rejected:
    """Diagnose an invalid payload; a bug in the diagnosis still yields a rejection.

    :func:`diagnose_payload` handles every case it knows of without raising; this net only
    keeps a live receiver running should it meet one it does not (tests check it never does).
    """
    try:
        return diagnose_payload(topic, payload, error, limits)
    except Exception as bug:
        return Rejected(
            topic,
            "schema",
            "",
            "a payload the contract describes",
            truncate(f"{UNDIAGNOSED} {bug!r}"),
        )


def diagnose_payload(
    topic: str, payload: bytes, error: ValidationError, limits: Limits
) -> Rejected:
    """Find the first thing wrong with a payload that failed validation."""
    document = parse_object(topic, payload, limits)
    if isinstance(document, Rejected):
        return document
    return diagnose_document(topic, document, error)


def diagnose_unparsable(
    topic: str, payload: bytes, bad: orjson.JSONDecodeError, limits: Limits
) -> Rejected:
    """Report why JSON parsing failed; JSON nested beyond the parser's limit is ``too_deep``."""
    if bad.msg == ORJSON_DEPTH_ERROR:
        if payload.lstrip()[:1] == b"{":
            return Rejected(
                topic,
                "too_deep",
                "",
                f"nesting depth at most {limits.max_depth}",
                f"deeper than {ORJSON_MAX_DEPTH}",
            )
        return Rejected(topic, "not_object", "", "a JSON object", "a deeply nested array")
    got = f"{bad.msg} at offset {bad.pos}: {preview(payload[max(bad.pos - 10, 0) : bad.pos + 30])}"
    return Rejected(topic, "not_json", "", "a JSON document", truncate(got))


def deepest_key(document: dict[str, Any], max_depth: int) -> str | None:
    """The top-level key under which ``document`` nests deeper than ``max_depth``, else None.

    The walk is iterative (an explicit stack), so no payload can exhaust the Python stack.
    The top-level object itself has depth 1.
    """
    stack: list[tuple[Any, int, str]] = [(value, 2, key) for key, value in document.items()]
    while stack:
        value, depth, key = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > max_depth:
            return key
        stack.extend((child, depth + 1, key) for child in children)
    return None


def diagnose_document(topic: str, document: dict[str, Any], error: ValidationError) -> Rejected:
    """Report an unknown device kind or event, else the first schema error."""
    kind = document.get("device_type")
    spec = DEVICE_TYPES.get(kind) if isinstance(kind, str) else None
    if spec is None:
        return Rejected(
            topic,
            "unknown_device_type",
            "device_type",
            f"one of: {', '.join(DEVICE_TYPES)}",
            present(document, "device_type"),
        )
    event = document.get("event")
    if not isinstance(event, str) or event not in spec.events:
        return Rejected(
            topic,
            "unknown_event",
            "event",
            f"for {spec.name}, one of: {', '.join(spec.events)}",
            present(document, "event"),
        )
    return first_schema_error(topic, error, (spec.name, event), mismatches(topic, document))


def first_schema_error(topic: str, error: ValidationError, tag: tuple[str, str],
                       extra: tuple[Fault, ...] = ()) -> Rejected:
    """Every pydantic error as one ``schema`` rejection (the first one first), with the union
    tags cut off their paths, and the ``extra`` faults (a topic mismatch) after them."""
    return schema_rejection(topic, error, tag, extra)


def schema_rejection(topic: str, error: ValidationError, tag: tuple[str, ...] = (),
                     extra: tuple[Fault, ...] = ()) -> Rejected:
    """A ``schema`` rejection listing each field error, then the ``extra`` faults (at most
    :data:`MAX_FAULTS` in all; the extra ones are always among them)."""
    errors = one_per_integer(error.errors(include_url=False))
    faults = [fault_of(details, tag) for details in errors]
    first, *more = [*faults[: MAX_FAULTS - len(extra)], *extra]
    return Rejected(topic, "schema", first.path, first.expected, first.got, tuple(more))


def mismatches(topic: str, document: dict[str, Any]) -> tuple[Fault, ...]:
    """The payload's ``device_type`` and ``device_id`` where they differ from the levels of the
    events topic it came on: the ``topic_mismatch`` a payload without schema faults gets."""
    levels = event_topic_levels(topic)
    if levels is None:
        return ()
    _, device_type, device_id = levels
    return tuple(
        Fault(path, f"{preview_json(in_topic)} (as in the topic)", preview_json(value))
        for path, in_topic in (("device_type", device_type), ("device_id", device_id))
        if isinstance(value := document.get(path), str) and value != in_topic)


def one_per_integer(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """The errors with one per JSON integer field, its location without the two ways it is
    read (:data:`~devices.contract.wire_types.AS_INTEGER`, ``AS_WHOLE_NUMBER``): the
    integer's error, unless the value was a whole number that broke a bound."""
    kept: list[ErrorDetails] = []
    as_integer: dict[tuple[int | str, ...], int] = {}
    for details in errors:
        loc = tuple(details["loc"])
        if AS_INTEGER in loc:
            details["loc"] = tuple(part for part in loc if part != AS_INTEGER)
            as_integer[details["loc"]] = len(kept)
            kept.append(details)
        elif AS_WHOLE_NUMBER in loc:
            field = tuple(part for part in loc if part != AS_WHOLE_NUMBER)
            at = as_integer.get(field)
            if (at is not None and kept[at]["type"] == "int_type"
                    and details["type"] not in ("float_type", "value_error")):
                kept[at] = {**details, "loc": field}
        else:
            kept.append(details)
    return kept


def fault_of(details: ErrorDetails, tag: tuple[str, ...]) -> Fault:
    """One pydantic error as a fault: its path (union tags cut off), expectation and input."""
    loc = tuple(details["loc"])
    if tag and loc[: len(tag)] == tag:
        loc = loc[len(tag) :]
    missing = details["type"] == "missing"
    got = "nothing (field missing)" if missing else preview_json(details["input"])
    return Fault(preview_path(".".join(str(part) for part in loc)), details["msg"], got)


# --- showing what came ----------------------------------------------------------------------


def present(document: dict[str, Any], key: str) -> str:
    """The value of ``key`` for a ``got`` text, or a note that it is missing."""
    if key not in document:
        return "nothing (field missing)"
    return preview_json(document[key])


def truncate(text: str) -> str:
    """Cut ``text`` to at most 80 characters, marking the cut with ``...``."""
    if len(text) <= GOT_MAX_CHARS:
        return text
    return text[: GOT_MAX_CHARS - 3] + "..."


def printable(text: str) -> str:
    """``text`` with every non-printable character written as an escape."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def preview(value: str | bytes) -> str:
    """A short, printable rendering of a string (JSON-quoted, as :func:`preview_json` shows a
    payload's values) or of raw bytes (Python's ``b'...'``: they may not be text)."""
    if isinstance(value, bytes):
        return truncate(repr(value[:GOT_MAX_CHARS]))
    return preview_json(value[: GOT_MAX_CHARS * 2])


def preview_text(payload: bytes) -> str:
    """The start of a (valid UTF-8) payload, printable."""
    return truncate(printable(payload[: GOT_MAX_CHARS * 2].decode("utf-8", errors="replace")))


def preview_path(path: str) -> str:
    """A field path for a rejection: printable, at most 80 characters."""
    return truncate(printable(path))


def preview_json(value: object) -> str:
    """A short, printable JSON rendering of a decoded value (nested at most a few levels)."""
    text = json.dumps(value, ensure_ascii=False, default=repr, allow_nan=True)
    return truncate(printable(text[: GOT_MAX_CHARS * 2]))


# --- the status channel and the centre's acknowledgements -----------------------------------

STATUS_EXPECTED_TOPIC: Final = "a topic vt/v1/{tenant}/{device_type}/{device_id}/status"


@dataclass(frozen=True, slots=True)
class StatusAccepted:
    """A valid status message (``online``/``offline``), with the topic it came on."""

    topic: str
    status: DeviceStatus


StatusVerdict: TypeAlias = StatusAccepted | Rejected


def encode_status(device_type: str, device_id: str, status: DeviceState, ts: str) -> bytes:
    """Compact JSON of a status message; ``ts`` must already be formatted (:func:`format_ts`).

    Publish it retained on the device's ``status`` topic; the ``offline`` one is the last will.
    """
    return orjson.dumps(
        {
            "schema_version": SCHEMA_VERSION,
            "device_id": device_id,
            "device_type": device_type,
            "status": status,
            "ts": ts,
        }
    )


def encode_acknowledgement(message: DeviceMessage, received_at: str,
                           clock_offset_s: float | None = None) -> bytes:
    """Compact JSON of the centre's acknowledgement of an accepted message.

    ``received_at`` must already be formatted (see :func:`format_ts`). ``clock_offset_s``
    (``ts`` minus the receive time) goes with the answer only when the device's clock is off.
    """
    answer: dict[str, object] = {
        "schema_version": SCHEMA_VERSION,
        "message_id": message.message_id,
        "device_id": message.device_id,
        "seq": message.seq,
        "received_at": received_at,
    }
    if clock_offset_s is not None:
        answer["clock_offset_s"] = round(clock_offset_s, 3)
    return orjson.dumps(answer)


def decode_status(
    topic: str,
    payload: bytes,
    *,
    now_epoch_s: float | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> StatusVerdict:
    """Validate one message of a ``status`` topic; never raises.

    The same checks as :func:`decode_message`, with two differences: the topic must be a
    ``status`` topic, and an ``offline`` status is never too old, because a last will is
    published long after the device set it.
    """
    if len(payload) > limits.max_bytes:
        return Rejected(
            topic, "oversize", "", f"at most {limits.max_bytes} bytes", f"{len(payload)} bytes"
        )
    try:
        status = DeviceStatus.model_validate_json(payload)
    except ValidationError as error:
        return diagnose_status_safely(topic, payload, error, limits)
    return check_status_delivery(topic, status, now_epoch_s, limits)


def check_status_delivery(
    topic: str, status: DeviceStatus, now_epoch_s: float | None, limits: Limits
) -> StatusVerdict:
    """Check a valid status message against its topic and the receiver's clock."""
    parts = parse_device_topic(topic)
    if parts is None or parts.channel != STATUS:
        return Rejected(topic, "bad_topic", "", STATUS_EXPECTED_TOPIC, preview(topic))
    if parts.device_type != status.device_type:
        return topic_mismatch(topic, "device_type", parts.device_type, status.device_type)
    if parts.device_id != status.device_id:
        return topic_mismatch(topic, "device_id", parts.device_id, status.device_id)
    if now_epoch_s is not None:
        return check_status_clock(topic, status, now_epoch_s, limits)
    return StatusAccepted(topic, status)


def check_status_clock(
    topic: str, status: DeviceStatus, now_epoch_s: float, limits: Limits
) -> StatusVerdict:
    """Reject a status ``ts`` too far ahead; or too far behind, unless it is ``offline``."""
    ts_s = status.ts.timestamp()
    latest = now_epoch_s + limits.max_future_s
    if ts_s > latest:
        expected = f"no later than {format_bound(latest)}"
        return Rejected(topic, "ts_in_future", "ts", expected, status.ts.isoformat())
    earliest = now_epoch_s - limits.max_past_s
    if status.status == "online" and ts_s < earliest:
        expected = f"no earlier than {format_bound(earliest)}"
        return Rejected(topic, "ts_in_past", "ts", expected, status.ts.isoformat())
    return StatusAccepted(topic, status)


def diagnose_status_safely(
    topic: str, payload: bytes, error: ValidationError, limits: Limits
) -> Rejected:
    """Diagnose an invalid status payload; a bug in the diagnosis still yields a rejection."""
    try:
        return diagnose_status(topic, payload, error, limits)
    except Exception as bug:
        return Rejected(
            topic,
            "schema",
            "",
            "a status payload the contract describes",
            truncate(f"{UNDIAGNOSED} {bug!r}"),
        )


def diagnose_status(topic: str, payload: bytes, error: ValidationError, limits: Limits) -> Rejected:
    """Find the first thing wrong with a status payload that failed validation."""
    document = parse_object(topic, payload, limits)
    if isinstance(document, Rejected):
        return document
    kind = document.get("device_type")
    if not isinstance(kind, str) or kind not in DEVICE_TYPES:
        return Rejected(
            topic,
            "unknown_device_type",
            "device_type",
            f"one of: {', '.join(DEVICE_TYPES)}",
            present(document, "device_type"),
        )
    return schema_rejection(topic, error)


def parse_object(topic: str, payload: bytes, limits: Limits) -> dict[str, Any] | Rejected:
    """The payload as a JSON object within the depth limit, or why it is not one."""
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError as bad:
        byte = payload[bad.start]
        return Rejected(
            topic, "invalid_utf8", "", "UTF-8 text", f"byte 0x{byte:02x} at offset {bad.start}"
        )
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError as bad:
        return diagnose_unparsable(topic, payload, bad, limits)
    if not isinstance(document, dict):
        return Rejected(topic, "not_object", "", "a JSON object", preview_text(payload))
    too_deep = deepest_key(document, limits.max_depth)
    if too_deep is not None:
        return Rejected(
            topic,
            "too_deep",
            preview_path(too_deep),
            f"nesting depth at most {limits.max_depth}",
            f"deeper than {limits.max_depth}",
        )
    return document
