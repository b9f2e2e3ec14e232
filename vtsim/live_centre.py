"""The live centre: validates every device message on a broker and answers it.

*Motta* (receive) on the live path: every message on ``vt/v1/+/+/+/events`` goes through
:func:`devices.codec.decode_message`, the same code the simulator uses, then through the
centre's own checks (tenant, duplicate message id). Each one is answered on the centre topics
(QoS 1): an acknowledgement on ``vt/v1/{tenant}/centre/ack/{device_id}``, or a rejection with
reason, field path, what was expected and what came on ``.../centre/rejected/{device_id}``.
The retained ``status`` channel keeps each device's online/offline state.

:class:`LiveCentre` works on any :class:`devices.transport.Transport`: the in-process bus in
tests, :class:`devices.mqtt.MqttTransport` live. It never raises on input, and keeps bounded
memory: message ids for duplicate detection and device rows are capped.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import orjson

from devices.codec import (
    DEFAULT_LIMITS,
    Accepted,
    Limits,
    Rejected,
    StatusAccepted,
    decode_message,
    decode_status,
    encode_acknowledgement,
    encode_rejection,
    format_ts,
    preview,
)
from devices.errors import DeviceContractError
from devices.messages import DeviceMessage
from devices.topics import (
    CENTRE,
    LEVEL,
    PREFIX,
    STATUS,
    ack_topic,
    events_subscription,
    rejected_topic,
    require_level,
)
from devices.transport import Transport

ACCEPTED: Final = "accepted"
DUPLICATE: Final = "duplicate"
UNANSWERED: Final = "unanswered"
"""Messages whose topic names no usable tenant: counted and shown, but no topic to answer on."""
ANSWER_QOS: Final = 1


def status_subscription(tenant: str | None) -> str:
    """Topic filter for the retained status of every device of one tenant (or of all)."""
    if tenant is None:
        return f"{PREFIX}/+/+/+/{STATUS}"
    return f"{PREFIX}/{require_level(tenant, 'tenant')}/+/+/{STATUS}"


# --- records --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """What the centre decided about one message and where it answered.

    ``verdict`` is ``accepted`` or the rejection reason; ``answered_on`` is the topic of the
    acknowledgement or rejection (None when the topic named no usable tenant).
    """

    topic: str
    verdict: str
    tenant: str | None
    device_id: str | None
    message_id: str | None
    detail: str
    answered_on: str | None

    @property
    def accepted(self) -> bool:
        """Whether the message was acknowledged."""
        return self.verdict == ACCEPTED

    def describe(self) -> str:
        """One printable line: verdict, device and detail."""
        device = f"{self.tenant}/{self.device_id}" if self.device_id else self.topic
        return f"{self.verdict:<20} {device}: {self.detail}"


@dataclass(slots=True)
class TrackedDevice:
    """What the centre knows about one device: last contact, sequence and verdict counts."""

    tenant: str
    device_type: str
    device_id: str
    status: str = "unknown"
    last_seen: float | None = None
    last_seq: int | None = None
    gaps: int = 0
    """Sequence numbers skipped: messages possibly lost between the device and the centre."""
    out_of_order: int = 0
    counts: Counter[str] = field(default_factory=Counter)

    def record_sequence(self, seq: int) -> None:
        """Count skipped numbers (possible loss) and numbers that went backwards."""
        last = self.last_seq
        if last is not None and seq > last + 1:
            self.gaps += seq - last - 1
        elif last is not None and seq <= last:
            self.out_of_order += 1
        if last is None or seq > last:
            self.last_seq = seq


@dataclass(frozen=True, slots=True)
class CentreSnapshot:
    """A copy of the centre's counts for display."""

    totals: dict[str, int]
    devices: list[TrackedDevice]
    untracked_devices: int
    answer_failures: int
    messages: int

    @property
    def gaps(self) -> int:
        """Skipped sequence numbers over all devices (possible loss)."""
        return sum(d.gaps for d in self.devices)


class MessageIdMemory:
    """Which message ids were seen recently, in bounded memory (two rotating sets).

    Holds between ``capacity / 2`` and ``capacity`` of the latest ids; a redelivery comes
    within seconds, long before its id is forgotten.
    """

    def __init__(self, capacity: int = 1_000_000) -> None:
        """Remember up to ``capacity`` ids."""
        if capacity < 2:
            raise ValueError(f"capacity must be at least 2, got {capacity}")
        self._half = capacity // 2
        self._current: set[tuple[str, str, str]] = set()
        self._previous: set[tuple[str, str, str]] = set()

    def check_in(self, key: tuple[str, str, str]) -> bool:
        """Remember ``key``; True if it was seen before (a duplicate)."""
        if key in self._current or key in self._previous:
            return True
        if len(self._current) >= self._half:
            self._previous, self._current = self._current, set()
        self._current.add(key)
        return False


# --- the centre -----------------------------------------------------------------------------


class LiveCentre:
    """Receives device messages from a transport, validates them and answers each one.

    ``tenant`` narrows the centre to one tenant (default: every tenant on the broker).
    ``clock`` gives the receiver time (epoch seconds) for the ``ts`` checks. ``on_answer`` is
    called with every :class:`Answer` (for printing or tests).
    """

    def __init__(
        self,
        transport: Transport,
        *,
        tenant: str | None = None,
        clock: Callable[[], float] = time.time,
        limits: Limits = DEFAULT_LIMITS,
        on_answer: Callable[[Answer], None] | None = None,
        max_devices: int = 100_000,
        memory: MessageIdMemory | None = None,
    ) -> None:
        """A centre on ``transport``; it listens after :meth:`start`."""
        self.transport = transport
        self.tenant = None if tenant is None else require_level(tenant, "tenant")
        self._clock = clock
        self._limits = limits
        self._on_answer = on_answer
        self._max_devices = max_devices
        self._memory = memory or MessageIdMemory()
        self._devices: dict[tuple[str, str], TrackedDevice] = {}
        self._totals: Counter[str] = Counter()
        self._untracked = 0
        self._answer_failures = 0
        self._messages = 0

    def start(self) -> None:
        """Subscribe to the events and status of the devices served."""
        self.transport.subscribe(events_subscription(self.tenant), self.receive_event)
        self.transport.subscribe(status_subscription(self.tenant), self.receive_status)

    # --- events -----------------------------------------------------------------------------

    def receive_event(self, topic: str, payload: bytes) -> None:
        """Validate one device message and answer it; never raises."""
        self._messages += 1
        try:
            answer = self._judge(topic, payload)
        except Exception as bug:  # a live centre keeps running; the bug is counted and shown
            answer = self._answer_rejection(
                topic, None, Rejected(topic, "schema", "", "a message the centre can handle",
                                      preview(f"centre error: {bug!r}"))
            )
        self._record(answer)

    def _judge(self, topic: str, payload: bytes) -> Answer:
        """The centre's verdict on one message, answered on the centre topics."""
        if self.tenant is not None and topic_tenant(topic) != self.tenant:
            return Answer(topic, "bad_topic", None, None, None,
                          f"not a topic of tenant {self.tenant!r}; not answered", None)
        verdict = decode_message(topic, payload, now_epoch_s=self._clock(), limits=self._limits)
        if isinstance(verdict, Rejected):
            return self._answer_rejection(topic, None, verdict)
        return self._judge_accepted(verdict)

    def _judge_accepted(self, verdict: Accepted) -> Answer:
        """The centre's own check on a valid message: is it a duplicate?"""
        topic, message = verdict.topic, verdict.message
        tenant = topic.split("/")[2]  # an accepted topic has a valid tenant level
        if self._memory.check_in((tenant, message.device_id, message.message_id)):
            return self._answer_rejection(topic, message, Rejected(
                topic, "schema", "message_id", "an id not used before by this device "
                "(this one was already received and acknowledged)",
                preview(message.message_id)), reason=DUPLICATE)
        self._note_sequence(tenant, message)
        return self._acknowledge(tenant, topic, message)

    def _note_sequence(self, tenant: str, message: DeviceMessage) -> None:
        """Track the device's sequence numbers (gaps are possible loss)."""
        device = self._device(tenant, message.device_type, message.device_id)
        if device is not None:
            device.record_sequence(message.seq)

    def _acknowledge(self, tenant: str, topic: str, message: DeviceMessage) -> Answer:
        """Publish the acknowledgement of an accepted message."""
        body = encode_acknowledgement(message, format_ts(self._clock()))
        answered_on = ack_topic(tenant, message.device_id)
        self._publish(answered_on, body)
        return Answer(topic, ACCEPTED, tenant, message.device_id, message.message_id,
                      f"{message.device_type}.{message.event} seq {message.seq}", answered_on)

    def _answer_rejection(
        self, topic: str, message: DeviceMessage | None, rejected: Rejected,
        reason: str | None = None,
    ) -> Answer:
        """Publish a rejection (reason, path, expected, got) where the device can read it."""
        tenant, device_id = answer_address(topic, message)
        verdict = reason or rejected.reason
        body = encode_rejection(rejected) if reason is None else encode_centre_rejection(
            rejected, verdict)
        answered_on = None
        if tenant is not None:
            answered_on = rejection_topic(tenant, device_id)
            self._publish(answered_on, body)
        detail = f"at '{rejected.path}': expected {rejected.expected}, got {rejected.got}"
        return Answer(topic, verdict, tenant, device_id,
                      None if message is None else message.message_id, detail, answered_on)

    def _publish(self, topic: str, body: bytes) -> None:
        """Publish an answer; a failure is counted, never raised (the centre keeps going)."""
        try:
            self.transport.publish(topic, body, qos=ANSWER_QOS)
        except (DeviceContractError, OSError):
            self._answer_failures += 1

    def _record(self, answer: Answer) -> None:
        """Count the verdict, globally and for the device, and pass the answer on."""
        self._totals[answer.verdict] += 1
        if answer.tenant is not None and answer.device_id is not None:
            device = self._device(answer.tenant, device_type_of(answer.topic), answer.device_id)
            if device is not None:
                device.counts[answer.verdict] += 1
                device.last_seen = self._clock()
        if answer.answered_on is None and not answer.accepted:
            self._totals[UNANSWERED] += 1
        if self._on_answer is not None:
            self._on_answer(answer)

    def _device(self, tenant: str, device_type: str, device_id: str) -> TrackedDevice | None:
        """The state of a device, created on first contact (None beyond ``max_devices``)."""
        key = (tenant, device_id)
        device = self._devices.get(key)
        if device is None:
            if len(self._devices) >= self._max_devices:
                self._untracked += 1
                return None
            device = TrackedDevice(tenant, device_type, device_id)
            self._devices[key] = device
        return device

    # --- status -----------------------------------------------------------------------------

    def receive_status(self, topic: str, payload: bytes) -> None:
        """Keep a device's online/offline state; answer a malformed status with a rejection."""
        if not payload:
            return  # a retained status being cleared: nothing to record or answer
        try:
            verdict = decode_status(topic, payload, now_epoch_s=self._clock(),
                                    limits=self._limits)
        except Exception as bug:  # as in receive_event: count, answer, keep running
            verdict = Rejected(topic, "schema", "", "a status the centre can handle",
                               preview(f"centre error: {bug!r}"))
        if isinstance(verdict, StatusAccepted):
            self._note_status(verdict)
            return
        self._messages += 1
        self._record(self._answer_rejection(topic, None, verdict))

    def _note_status(self, verdict: StatusAccepted) -> None:
        """Record a device's online/offline state."""
        status = verdict.status
        tenant = verdict.topic.split("/")[2]
        device = self._device(tenant, status.device_type, status.device_id)
        if device is not None:
            device.status = status.status
            device.last_seen = self._clock()
        self._totals[f"status_{status.status}"] += 1

    # --- reading ----------------------------------------------------------------------------

    def snapshot(self) -> CentreSnapshot:
        """A copy of the counts and device states, for display."""
        devices = [
            TrackedDevice(d.tenant, d.device_type, d.device_id, d.status, d.last_seen, d.last_seq,
                        d.gaps, d.out_of_order, Counter(d.counts))
            for d in self._devices.values()
        ]
        return CentreSnapshot(dict(self._totals), devices, self._untracked,
                              self._answer_failures, self._messages)


# --- helpers --------------------------------------------------------------------------------


def valid_level(level: str) -> bool:
    """Whether a topic level can be a tenant or device id in the centre's topics."""
    return LEVEL.fullmatch(level) is not None


def topic_tenant(topic: str) -> str | None:
    """The tenant level of a ``vt/v1/{tenant}/...`` topic, or None."""
    levels = topic.split("/", 3)
    return levels[2] if len(levels) > 3 and levels[0] == "vt" and levels[1] == "v1" else None


def answer_address(topic: str, message: DeviceMessage | None) -> tuple[str | None, str | None]:
    """The tenant and device id to answer to: from the topic (the payload may be anything)."""
    levels = topic.split("/")
    if len(levels) != 6 or levels[0] != "vt" or levels[1] != "v1" or not valid_level(levels[2]):
        return None, None
    if message is not None:
        return levels[2], message.device_id
    return levels[2], levels[4] if valid_level(levels[4]) else None


def rejection_topic(tenant: str, device_id: str | None) -> str:
    """``.../centre/rejected/{device_id}``, or ``.../centre/rejected`` if the id is unusable."""
    if device_id is None:
        return f"{PREFIX}/{tenant}/{CENTRE}/rejected"
    return rejected_topic(tenant, device_id)


def device_type_of(topic: str) -> str:
    """The device-type level of a device topic (``?`` if there is none)."""
    levels = topic.split("/")
    return levels[3] if len(levels) == 6 else "?"


def encode_centre_rejection(rejected: Rejected, reason: str) -> bytes:
    """A rejection from the centre's own checks (``duplicate``), shaped as :func:`encode_rejection`.
    """
    return orjson.dumps({
        "topic": rejected.topic,
        "reason": reason,
        "path": rejected.path,
        "expected": rejected.expected,
        "got": rejected.got,
    })
