"""The live centre: validates every device message on a broker and answers it.

*Motta* (receive) on the live path: every message on ``vt/v1/+/+/+/events`` is judged by the
rules all centres share (:class:`devices.contract.reception.Reception`: decode and validate,
deduplicate, correlate repeats into an incident, prioritise), after the live centre's own
checks (tenant, rate limit). Each one is answered on the centre topics (QoS 1): an
acknowledgement on ``vt/v1/{tenant}/centre/ack/{device_id}``, or a rejection with reason, field
path, what was expected and what came on ``.../centre/rejected/{device_id}``. The retained
``status`` channel keeps each device's online/offline state.

:class:`LiveCentre` works on any :class:`devices.transport.base.Transport`: the in-process bus in
tests, :class:`devices.transport.mqtt.MqttTransport` live. It never raises on input, and keeps
bounded memory: its store remembers message ids, and device rows are capped.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Protocol, runtime_checkable

import orjson

from devices.contract.catalog import event_spec
from devices.contract.codec import (
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
    identified,
    message_ids,
    preview,
)
from devices.contract.errors import DeviceContractError
from devices.contract.messages import DeviceMessage
from devices.contract.rate_limit import (
    DEFAULT_BACKLOG_WINDOW_S,
    RateLimit,
    SentTimeBuckets,
    TokenBuckets,
)
from devices.contract.reception import (
    CLOCK_OFF,
    DEFAULT_CORRELATION_WINDOW_S,
    DUPLICATE,
    ID_CONFLICT,
    INCIDENT,
    RETAINED_EVENT,
    Reception,
    clock_offset_s,
    retained_rejection,
    ts_ms,
)
from devices.contract.topics import (
    CENTRE,
    LEVEL,
    PREFIX,
    STATUS,
    ack_topic,
    device_topic,
    events_subscription,
    rejected_topic,
    require_level,
    require_tenant,
    topic_matches,
    valid_tenant,
)
from devices.transport.base import Transport
from vtsim.live.store import (
    CENTRE_KINDS,
    DEVICE_CLOCK,
    DEVICE_OFFLINE,
    DEVICE_SILENT,
    NOTHING_STORED,
    OPEN,
    POSSIBLE_LOSS,
    RESOLVED,
    CentreStore,
    CentreStoreError,
    DeviceRow,
    IncidentChange,
    MemoryStore,
    ResumedState,
    StoredCounts,
    StoredMessage,
    StoredRejection,
)

__all__ = ["Answer", "CentreSnapshot", "LiveCentre", "TrackedDevice"]

ACCEPTED: Final = "accepted"
RATE_LIMITED: Final = "rate_limited"
OVER_LIMIT_ALARMS: Final = "over_limit_alarms"
"""Alarms that came over their device's rate limit: handled all the same (counted)."""
LATE_WITHIN_LIMIT: Final = "late_within_limit"
"""Messages over the arrival rate that their send times kept within the limit (a backlog)."""
SILENCE_SLACK_S: Final = 30.0
"""Slack beyond twice a device's periodic interval before it counts as silent."""
UNANSWERED: Final = "unanswered"
"""Messages whose topic names no usable tenant: counted and shown, but no topic to answer on."""
OWN_TOPICS: Final = "own_topics"
"""Messages on a topic whose device-type level is ``centre`` (the centre's own answers, which
the subscriptions match for a device with id ``events`` or ``status``): counted, never judged
or answered."""
CLEARED_RETAINED: Final = "cleared_retained"
"""Zero-length payloads on an events topic: a retained message being cleared (counted, not
answered)."""
LOGGER: Final = logging.getLogger("vtsim.centre")
ANSWER_QOS: Final = 1
ROUTES_KEPT: Final = 100_000
ANSWER_WAIT_S: Final = 5.0
"""The longest a group of answers waits, in all, for room in the broker's window of
unacknowledged messages (a frozen or slow broker): answers that find no room by then are
counted as failures, never waited on (the device resends, and hears ``duplicate``)."""


def never() -> bool:
    """A stop condition that never holds."""
    return False


def status_subscription(tenant: str | None) -> str:
    """Topic filter for the retained status of every device of one tenant (or of all)."""
    if tenant is None:
        return f"{PREFIX}/+/+/+/{STATUS}"
    return f"{PREFIX}/{require_tenant(tenant)}/+/+/{STATUS}"


# --- records --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """What the centre decided about one message and where it answered.

    ``verdict`` is ``accepted`` or the rejection reason; ``answered_on`` is the topic of the
    acknowledgement or rejection (None when the topic named no usable tenant). ``place`` is
    where the message ended (:data:`devices.contract.reception.PLACES`; empty when the centre
    did not judge it) and ``incident_id`` the incident it opened or joined.
    """

    topic: str
    verdict: str
    tenant: str | None
    device_id: str | None
    message_id: str | None
    detail: str
    answered_on: str | None
    place: str = ""
    incident_id: str | None = None
    rejection: Rejected | None = None
    """The rejection as published (reason, path, expected, got, more), when there was one."""
    clock_off: bool = False
    """An alarm taken despite its device's clock (the reception reason ``clock_off``)."""

    @property
    def accepted(self) -> bool:
        """Whether the message was acknowledged."""
        return self.verdict == ACCEPTED

    def describe(self) -> str:
        """One printable line: verdict, device and detail."""
        device = f"{self.tenant}/{self.device_id}" if self.device_id else self.topic
        return f"{self.verdict:<20} {device}: {self.detail}"


MAX_TENANTS_COUNTED: Final = 1_000
"""Tenants whose verdicts are counted one by one (a centre of every tenant could be sent
topics of any number of made-up tenants)."""
MAX_TRACKED_GAP: Final = 1_024
"""Gaps up to this many numbers are tracked number by number, so that late arrivals close them;
a larger jump stays possible loss until someone looks."""
MAX_GAPS: Final = 32
"""Gaps kept per device (the oldest is let go beyond: its incident stays open)."""
RESTART_DROP: Final = 1_000
"""A ``seq`` this far below the highest seen (or 0 after a higher one) is a device that
restarted its counter (a reboot), not a late message."""


@dataclass(slots=True)
class Gap:
    """Sequence numbers ``first..last`` of one device that did not arrive (yet).

    ``missing`` holds the numbers still awaited (None for a gap too large to track one by one).
    ``since`` is when the centre saw the jump; ``reported`` whether it is a ``possible_loss``
    incident already.
    """

    first: int
    last: int
    since: float
    missing: set[int] | None
    reported: bool = False

    @property
    def size(self) -> int:
        """How many of its numbers are still awaited."""
        return self.last - self.first + 1 if self.missing is None else len(self.missing)

    def copy(self) -> Gap:
        """An independent copy."""
        missing = None if self.missing is None else set(self.missing)
        return Gap(self.first, self.last, self.since, missing, self.reported)


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
    """Sequence numbers skipped and not (yet) arrived: messages possibly lost between the device
    and the centre."""
    out_of_order: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    last_periodic: float | None = None
    """When (the centre's receive time, epoch s) the latest periodic message (heartbeat,
    position) came: silence is judged on the centre's clock, whatever the device's says."""
    heartbeat_s: float | None = None
    """The device's periodic interval, as observed between its last two periodic messages."""
    clock_offset_s: float | None = None
    """How far the device's clock was off at its latest message, when beyond the clock limits
    (``ts`` minus the centre's receive time); None while its clock is right."""
    periodic_ts: float | None = None
    """Device time (``ts``) of the latest periodic message, for the interval."""
    open_gaps: list[Gap] = field(default_factory=list)
    restarts: int = 0
    """Times the device's counter started again from a low number (reboots)."""

    def record_sequence(self, seq: int, now: float = 0.0, zero_restarts: bool = True
                        ) -> tuple[Gap | None, list[Gap]]:
        """Note ``seq``: the gap it opens when it jumps ahead, and the gaps it fills (all their
        numbers arrived: they were late, out of order, not lost). A number far below the
        highest (or, with ``zero_restarts``, 0 after a higher one) is a restarted counter, not
        a late message. Without ``zero_restarts`` (a share group, where a device's first
        message often arrives after its second) a 0 shortly after is a late number."""
        last = self.last_seq
        if last is None:
            self.last_seq = seq
            return None, []
        if seq > last + 1:
            return self._open_gap(last + 1, seq - 1, now), []
        if seq > last:
            self.last_seq = seq
            return None, []
        filled = self._fill(seq)
        if filled is not None:
            return None, filled
        if (zero_restarts and seq == 0 and last > 0) or last - seq > RESTART_DROP:
            self.restarts += 1
            self.last_seq = seq
            return None, []
        self.out_of_order += 1
        return None, []

    def _open_gap(self, first: int, last: int, now: float) -> Gap:
        """Numbers ``first..last`` skipped: a gap awaiting them."""
        size = last - first + 1
        self.gaps += size
        self.last_seq = last + 1
        gap = Gap(first, last, now, set(range(first, last + 1)) if size <= MAX_TRACKED_GAP
                  else None)
        self.open_gaps.append(gap)
        if len(self.open_gaps) > MAX_GAPS:
            del self.open_gaps[0]
        return gap

    def _fill(self, seq: int) -> list[Gap] | None:
        """A late number: the gaps it completes ([] if it only narrows one); None if it is in
        no gap."""
        for gap in self.open_gaps:
            if gap.missing is not None and seq in gap.missing:
                gap.missing.discard(seq)
                self.gaps -= 1
                if gap.missing:
                    return []
                self.open_gaps.remove(gap)
                return [gap]
        return None

    def record_periodic(self, device_ts: float, received: float) -> None:
        """Note a periodic message: when it came (the centre's clock) and the interval between
        the last two (the device's clock, unless that jumped: then the centre's)."""
        if self.periodic_ts is not None and device_ts > self.periodic_ts:
            interval = device_ts - self.periodic_ts
            heard = None if self.last_periodic is None else received - self.last_periodic
            if heard is not None and heard > 0 and interval > 3 * heard + 60:
                interval = heard  # the device's clock jumped ahead: trust the centre's
            self.heartbeat_s = interval
        if self.periodic_ts is None or device_ts > self.periodic_ts:
            self.periodic_ts = device_ts
        if self.last_periodic is None or received > self.last_periodic:
            self.last_periodic = received

    def row(self) -> DeviceRow:
        """The device as the store keeps it (its open gaps included)."""
        return DeviceRow(self.tenant, self.device_id, self.device_type, self.status,
                         self.last_seen, self.last_seq, self.gaps, self.out_of_order,
                         self.last_periodic, self.heartbeat_s, encode_gaps(self.open_gaps))

    def copy(self) -> TrackedDevice:
        """An independent copy (counts and gaps included)."""
        return TrackedDevice(self.tenant, self.device_type, self.device_id, self.status,
                             self.last_seen, self.last_seq, self.gaps, self.out_of_order,
                             Counter(self.counts), self.last_periodic, self.heartbeat_s,
                             self.clock_offset_s, self.periodic_ts,
                             [gap.copy() for gap in self.open_gaps], self.restarts)


def tracked(row: DeviceRow) -> TrackedDevice:
    """A device as a restarted centre (or another process of its share group) resumes it from
    the store."""
    return TrackedDevice(row.tenant, row.device_type, row.device_id, row.status, row.last_seen,
                         row.last_seq, row.gaps, row.out_of_order, Counter(), row.last_periodic,
                         row.heartbeat_s, open_gaps=decode_gaps(row.open_gaps))


def encode_gaps(gaps: Sequence[Gap]) -> str:
    """A device's open gaps as the store keeps them: JSON ``[first, last, since, reported,
    missing or null]`` each; empty without gaps."""
    if not gaps:
        return ""
    return orjson.dumps([[gap.first, gap.last, gap.since, gap.reported,
                          None if gap.missing is None else sorted(gap.missing)]
                         for gap in gaps]).decode()


def decode_gaps(text: str) -> list[Gap]:
    """The gaps :func:`encode_gaps` wrote; none from an empty or unreadable text."""
    if not text:
        return []
    try:
        return [Gap(int(first), int(last), float(since),
                    None if missing is None else {int(n) for n in missing}, bool(reported))
                for first, last, since, reported, missing in orjson.loads(text)]
    except (orjson.JSONDecodeError, TypeError, ValueError):
        return []


@dataclass(frozen=True, slots=True)
class CentreSnapshot:
    """A copy of the centre's counts for display."""

    totals: dict[str, int]
    devices: list[TrackedDevice]
    untracked_devices: int
    answer_failures: int
    messages: int
    open_incidents: list[IncidentChange] = field(default_factory=list)
    stored: StoredCounts = NOTHING_STORED
    lag_s: float = 0.0
    by_tenant: dict[str, dict[str, int]] = field(default_factory=dict)
    """Verdicts counted per tenant (the served ones; at most :data:`MAX_TENANTS_COUNTED`)."""
    reported_gaps_only: bool = False
    """A process of a share group: possible loss counts only gaps past their wait."""

    def tenant_report(self) -> dict[str, dict[str, int]]:
        """Per tenant: messages judged, accepted, refused (any other verdict) and devices
        tracked."""
        devices = Counter(device.tenant for device in self.devices)
        report: dict[str, dict[str, int]] = {}
        for tenant in sorted(set(self.by_tenant) | set(devices)):
            verdicts = self.by_tenant.get(tenant, {})
            judged = sum(verdicts.values())
            accepted = verdicts.get(ACCEPTED, 0)
            report[tenant] = {"messages": judged, "accepted": accepted,
                              "refused": judged - accepted, "devices": devices[tenant]}
        return report

    @property
    def gaps(self) -> int:
        """Skipped sequence numbers over all devices (possible loss)."""
        return sum(self.missing_of(d) for d in self.devices)

    def missing_of(self, device: TrackedDevice) -> int:
        """The sequence numbers ``device`` is missing, as this centre counts possible loss: all
        of them; in a share group only those of gaps past their wait (reported), since
        numbers taken by another process of the group arrive out of order as a rule."""
        if not self.reported_gaps_only:
            return device.gaps
        return sum(gap.size for gap in device.open_gaps if gap.reported)

    @property
    def loss_devices(self) -> int:
        """Devices with sequence numbers missing (as :meth:`missing_of` counts them)."""
        return sum(1 for d in self.devices if self.missing_of(d))

    @property
    def clock_off(self) -> list[TrackedDevice]:
        """Devices whose clock is off right now (their latest message said so)."""
        return [d for d in self.devices if d.clock_offset_s is not None]

    def open_of_kind(self, kind: str) -> int:
        """How many of the centre's own incidents of ``kind`` are open."""
        return sum(1 for incident in self.open_incidents if incident.kind == kind)


@runtime_checkable
class MessageTransport(Protocol):
    """A transport that hands out whole messages (MQTT: with retain flag, response topic and
    correlation data), whether or not it acknowledges them when told."""

    def subscribe_messages(self, pattern: str, handler: Callable[[Any], None], *,
                           qos: int = 1, timeout: float = 10.0) -> None:
        """Deliver each matching message object to ``handler``."""
        ...


@runtime_checkable
class AckingTransport(MessageTransport, Protocol):
    """A transport that hands out whole messages and acknowledges them when told (MQTT)."""

    manual_ack: bool

    def ack(self, message: Any) -> bool:
        """Acknowledge one delivered message to the broker."""
        ...


# --- the centre -----------------------------------------------------------------------------


class LiveCentre:
    """Receives device messages from a transport, stores and validates them, answers each one.

    ``tenant`` narrows the centre to one tenant (default: every tenant on the broker).
    ``clock`` gives the receiver time (epoch seconds) for the ``ts`` checks and the duplicate
    and correlation windows. ``on_answer`` is called with every :class:`Answer` (for printing
    or tests). ``store`` keeps messages, rejections, incidents and device states (default: in
    memory) and remembers message ids; each message is stored before it is answered, and on an
    acknowledging transport (``manual_ack``) before the broker is told it arrived.
    ``rate_limit`` throttles each device on its own (default: none). Repeats of an alarm within
    ``correlation_window_s`` of its incident's first message join that incident.
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
        store: CentreStore | None = None,
        rate_limit: RateLimit | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        silence_slack_s: float = SILENCE_SLACK_S,
        correlation_window_s: float = DEFAULT_CORRELATION_WINDOW_S,
        backlog_window_s: float = DEFAULT_BACKLOG_WINDOW_S,
        gap_wait_s: float = 0.0,
        tenants: Sequence[str] = (),
        share_group: str | None = None,
    ) -> None:
        """A centre on ``transport``; it listens after :meth:`start`."""
        self.transport = transport
        self.tenant = None if tenant is None else require_tenant(tenant)
        served = ([] if tenant is None else [self.tenant]) + [
            require_tenant(name) for name in tenants]
        self.tenants: tuple[str, ...] = tuple(dict.fromkeys(t for t in served if t))
        """The tenants served (empty: every tenant on the broker)."""
        self.share_group = None if share_group is None else require_level(
            share_group, "share group")
        """The MQTT 5 share group this centre takes its part of the messages in (None: it
        takes them all); with one, every device's state is read under a lock from the
        store, which must be shared (PostgreSQL)."""
        self._by_tenant: dict[str, Counter[str]] = {}
        self._clock = clock
        self._limits = limits
        self._on_answer = on_answer
        self._max_devices = max_devices
        self.store: CentreStore = store or MemoryStore()
        self.reception: Reception[IncidentChange] = Reception(
            limits=limits, memory=self.store, correlation_window=correlation_window_s)
        self._buckets = None if rate_limit is None else TokenBuckets(rate_limit, monotonic)
        self._sent_buckets = (None if rate_limit is None
                              else SentTimeBuckets(rate_limit, backlog_window_s))
        self._silence_slack_s = silence_slack_s
        self._gap_wait_s = gap_wait_s
        self._devices: dict[tuple[str, str], TrackedDevice] = {}
        self._open: dict[str, IncidentChange] = {}
        self._totals: Counter[str] = Counter()
        self._untracked = 0
        self._answer_failures = 0
        self._messages = 0
        self._lag_s = 0.0
        self._arrived_at: float | None = None
        self._stale = False
        """Memory a failed reload left as it was: read again before anything is judged."""
        self._retained = False
        """Whether the message in hand came with the retain flag (a stale copy)."""
        self._reply_to: tuple[str, bytes | None] | None = None
        """MQTT 5 request/response: where the message in hand asked for its answer."""
        """When the transport received the message being judged (None: just now)."""
        self._stored = NOTHING_STORED
        self._deferred: list[tuple[str, bytes, tuple[str, bytes | None] | None]] | None = None
        """While a group is handled: its answers, published once the group is committed."""
        self.in_hand_since: float | None = None
        self._receivers: list[tuple[str, Callable[[str, bytes], object]]] = []
        """What :meth:`listen` was asked, in order: a group's messages are routed by it."""
        self._routes: dict[str, Callable[[str, bytes], object] | None] = {}
        """Receive time (epoch s) of the oldest message in hand, while a group is handled."""
        self._resume()

    def _resume(self) -> None:
        """Carry on from the store: device states, open incidents, counts."""
        self._apply_resumed(self._read_resumed())

    def _read_resumed(self) -> ResumedState:
        """What the store holds of the tenants served (raises :class:`CentreStoreError`)."""
        state = self.store.resume(self.tenants[0] if len(self.tenants) == 1 else None)
        if len(self.tenants) > 1:
            state = replace(state, devices=[d for d in state.devices if d.tenant in self.tenants],
                            open_incidents=[i for i in state.open_incidents
                                            if i.tenant in self.tenants])
        return state

    def _apply_resumed(self, state: ResumedState) -> None:
        """Hold in memory what was read from the store."""
        for row in state.devices[: self._max_devices]:
            self._devices[(row.tenant, row.device_id)] = tracked(row)
        self._open = {incident.incident_id: incident for incident in state.open_incidents
                      if incident.kind in CENTRE_KINDS}
        for incident in self._open.values():
            self._resume_gap(incident)
        since = self._clock() - self.reception.incidents.window
        alarms = [i for i in state.open_incidents
                  if i.kind not in CENTRE_KINDS and i.started >= since]
        for incident in sorted(alarms, key=lambda i: i.started):
            topic = device_topic(incident.tenant, incident.device_type, incident.device_id)
            self.reception.incidents.opened(topic, incident.kind, incident, incident.started)
        self._stored = state.counts

    def _resume_gap(self, incident: IncidentChange) -> None:
        """An open ``possible_loss`` incident: its numbers are awaited again (a late arrival
        still closes it after a restart)."""
        device = self._devices.get((incident.tenant, incident.device_id))
        if incident.kind != POSSIBLE_LOSS or device is None:
            return
        first, _, last = incident.incident_id.rsplit("/", 1)[-1].partition("-")
        if not (first.isdigit() and last.isdigit()):
            return
        low, high = int(first), int(last)
        if any(gap.first == low and gap.last == high for gap in device.open_gaps):
            return  # stored with the device itself
        size = high - low + 1
        device.open_gaps.append(Gap(low, high, incident.at,
                                    set(range(low, high + 1)) if size <= MAX_TRACKED_GAP
                                    else None, reported=True))

    def use_store(self, store: CentreStore) -> None:
        """Carry on with another connection to the store (after the old one failed): the
        message ids, device states and open incidents are read from it again."""
        self.store = store
        self.reception.memory = store
        self.reception._check_in = store.check_in
        self.reload()

    def reload(self) -> None:
        """Forget what is held in memory and read it from the store again (after a group
        was rolled back, memory holds changes the store does not). If the store cannot be
        read, memory is kept for the counts shown meanwhile but marked stale: nothing is
        judged on it, the next group or check reads the store again first."""
        self._stale = True
        state = self._read_resumed()
        self._devices.clear()
        self._open.clear()
        self.reception.incidents.forget_before(float("inf"))
        self._apply_resumed(state)
        self._stale = False

    def _read_again_if_stale(self) -> None:
        """Before judging: memory that a failed reload left stale is read from the store
        (raises :class:`CentreStoreError` while it still fails)."""
        if self._stale:
            self.reload()

    def subscriptions(self) -> list[tuple[str, str]]:
        """The topic filters of the events and status of the devices served, each with
        ``events`` or ``status`` (shared ones, ``$share/{group}/...``, in a share group)."""
        served: Sequence[str | None] = self.tenants or [None]
        pairs = [(kind, subscription(tenant)) for tenant in served
                 for kind, subscription in (("events", events_subscription),
                                            ("status", status_subscription))]
        return [(self.shared(pattern), kind) for kind, pattern in pairs]

    def shared(self, pattern: str) -> str:
        """``pattern`` as this centre subscribes to it: ``$share/{group}/{pattern}`` in a
        share group (the broker gives each message to one process of the group)."""
        return pattern if self.share_group is None else f"$share/{self.share_group}/{pattern}"

    def start(self) -> None:
        """Subscribe to the events and status of the devices served."""
        for pattern, kind in self.subscriptions():
            self.listen(pattern, self.receive_event if kind == "events" else self.receive_status)

    def listen(self, pattern: str, receive: Callable[[str, bytes], object]) -> None:
        """Deliver the messages on ``pattern`` to ``receive`` (on an acknowledging transport,
        acknowledged to the broker once ``receive`` has returned: stored)."""
        self._receivers.append((local_pattern(pattern), receive))
        self._routes.clear()
        transport = self.transport
        if isinstance(transport, MessageTransport):  # MQTT, acknowledging or not
            transport.subscribe_messages(pattern, self._whole)
            return

        def deliver(topic: str, payload: bytes) -> None:
            receive(topic, payload)
        transport.subscribe(pattern, deliver)

    def _whole(self, message: Any) -> None:
        """Judge, store and answer one whole delivered message (its MQTT 5 response topic
        too), then acknowledge it to the broker if the transport acknowledges when told."""
        self.handle_group([message])

    def handle_group(self, messages: Sequence[Any], stop: Callable[[], bool] = never,
                     answer_wait_s: float = ANSWER_WAIT_S) -> int:
        """Judge and store delivered messages in one store transaction (a group commit), then
        answer them and acknowledge them to the broker: every answer and acknowledgement
        follows the commit. Returns how many were handled; once ``stop()`` holds, the rest are
        left unacknowledged (the broker keeps them).

        When the store fails, nothing of the group is answered or acknowledged, the centre
        reads its memory from the store again, and :class:`CentreStoreError` propagates:
        the caller retries the same messages once the store is back.
        """
        if not messages:
            return 0
        self._read_again_if_stale()
        totals, count = Counter(self._totals), self._messages
        answers: list[tuple[str, bytes, tuple[str, bytes | None] | None]] = []
        self._deferred = answers
        self.in_hand_since = messages[0].received_at
        handled = 0
        try:
            with self.store.batch():
                if self.share_group is not None:
                    self._take_devices(messages)
                self._recall(messages)
                for message in messages:
                    if handled and stop():
                        break
                    self._take(message)
                    handled += 1
        except CentreStoreError:
            self._totals, self._messages = totals, count
            self.reload()
            raise
        finally:
            self._deferred = None
            self.in_hand_since = None
        self._send_answers(answers, answer_wait_s)
        transport = self.transport
        if isinstance(transport, AckingTransport) and transport.manual_ack:
            for message in messages[:handled]:
                transport.ack(message)
        return handled

    def _take_devices(self, messages: Sequence[Any]) -> None:
        """In a share group: lock the group's devices in the store until its commit and carry
        on from their stored state (sequence, gaps, status, the alarm incidents repeats join),
        which the other processes of the group may have changed since."""
        keys = {sender_key(message.topic) for message in messages}
        self._take_keys({key for key in keys
                         if key[0] and valid_level(key[0]) and valid_level(key[1])})

    def _take_keys(self, keys: set[tuple[str, str]]) -> None:
        """Lock these devices until the commit and carry on from their stored state."""
        window = self.reception.incidents.window
        taken = self.store.take_devices(sorted(keys), window, self._clock())
        rows = {(row.tenant, row.device_id): row for row in taken.devices}
        for key in keys:
            old = self._devices.pop(key, None)
            row = rows.get(key)
            if row is None:
                continue
            device = tracked(row)
            if old is not None:
                device.counts, device.clock_offset_s = old.counts, old.clock_offset_s
                device.periodic_ts, device.restarts = old.periodic_ts, old.restarts
            self._devices[key] = device
        for incident_id in [i for i, change in self._open.items()
                            if (change.tenant, change.device_id) in keys]:
            del self._open[incident_id]
        for incident in taken.alarms:
            if incident.kind in CENTRE_KINDS:
                self._open[incident.incident_id] = incident
                continue
            topic = device_topic(incident.tenant, incident.device_type, incident.device_id)
            self.reception.incidents.opened(topic, incident.kind, incident, incident.started)

    def _recall(self, messages: Sequence[Any]) -> None:
        """Let a store that can (:meth:`vtsim.live.store.SqlCentreStore.recall`) read what it
        holds under the group's message ids at once, instead of once per message."""
        recall = getattr(self.store, "recall", None)
        if recall is None or len(messages) < 2:
            return  # one message: its own check_in asks the store, if it gets that far
        keys = []
        for message in messages:
            levels = message.topic.split("/")
            if len(levels) != 6:
                continue
            try:
                message_id = orjson.loads(message.payload).get("message_id")
            except (orjson.JSONDecodeError, AttributeError):
                continue
            if isinstance(message_id, str):
                keys.append((levels[2], levels[4], message_id))
        recall(keys, self._clock())

    def _take(self, message: Any) -> None:
        """Judge and store one delivered message (events or status, by its topic)."""
        age = max(time.time() - message.received_at, 0.0)  # the transport's clock is wall time
        self._lag_s = age
        self._arrived_at = self._clock() - age  # when it came, on the centre's own clock
        self._retained = bool(getattr(message, "retain", False))
        self._reply_to = reply_address(message)
        try:
            receive = self._receiver_for(message.topic)
            if receive is not None:
                receive(message.topic, message.payload)
        finally:
            self._arrived_at = None
            self._retained = False
            self._reply_to = None

    def _receiver_for(self, topic: str) -> Callable[[str, bytes], object] | None:
        """Who receives a delivered topic: the first :meth:`listen` whose pattern matches
        (remembered per topic, at most :data:`ROUTES_KEPT`)."""
        if topic in self._routes:
            return self._routes[topic]
        receive = next((r for pattern, r in self._receivers if topic_matches(pattern, topic)),
                       None)
        if len(self._routes) >= ROUTES_KEPT:
            self._routes.clear()
        self._routes[topic] = receive
        return receive

    def _send_answers(self, answers: list[tuple[str, bytes, tuple[str, bytes | None] | None]],
                      wait_s: float) -> None:
        """Publish a committed group's answers; together they wait at most ``wait_s`` for
        room in the broker's window (failures are counted)."""
        deadline = time.monotonic() + wait_s
        for topic, body, reply_to in answers:
            self._publish(topic, body, max(deadline - time.monotonic(), 0.0))
            if reply_to is not None:
                response_topic, correlation = reply_to
                self._publish(response_topic, body, max(deadline - time.monotonic(), 0.0),
                              correlation)

    # --- events -----------------------------------------------------------------------------

    def receive_event(self, topic: str, payload: bytes) -> Answer | None:
        """Validate, store and answer one device message; raises only if the store fails.

        None (nothing judged, answered or stored; only counted): a topic of the centre's own
        (:data:`OWN_TOPICS`) or a zero-length payload (:data:`CLEARED_RETAINED`)."""
        if self.ignores(topic, payload):
            return None
        self._messages += 1
        try:
            answer = self._judge(topic, payload)
        except CentreStoreError:
            raise  # nothing stored, nothing answered: the broker will deliver it again
        except Exception as bug:  # a live centre keeps running; the bug is counted and shown
            answer = self._reject(
                topic, None, Rejected(topic, "schema", "", "a message the centre can handle",
                                      preview(f"centre error: {bug!r}"))
            )
        self._record(answer)
        return answer

    @property
    def in_hand_retained(self) -> bool:
        """Whether the message being handled came with the retain flag (a stale copy the
        broker kept: answered ``retained_event``, not handled)."""
        return self._retained

    def ignores(self, topic: str, payload: bytes) -> bool:
        """Whether a delivered message is not one to judge (the centre's own topic, or an
        empty payload clearing a retained message): counted under its kind."""
        if device_type_of(topic) == CENTRE:
            self._totals[OWN_TOPICS] += 1
            return True
        if not payload:
            self._totals[CLEARED_RETAINED] += 1
            return True
        return False

    def refuse(self, topic: str, tenant: str | None, reason: str, detail: str,
               answered_on: str | None, body: bytes) -> Answer:
        """Store, answer (``body`` on ``answered_on``) and count a message refused before it
        could be judged as a device message (a SCAIP payload that cannot be translated)."""
        self._messages += 1
        self.store.store_rejection(StoredRejection(topic, tenant, None, None, reason, detail,
                                                   self._clock()))
        if answered_on is not None:
            self._publish(answered_on, body)
        answer = Answer(topic, reason, tenant, None, None, detail, answered_on)
        self._record(answer)
        return answer

    def last_seq(self, tenant: str, device_id: str) -> int | None:
        """The highest ``seq`` received from a device (None: never heard of)."""
        device = self._devices.get((tenant, device_id))
        return None if device is None else device.last_seq

    def _judge(self, topic: str, payload: bytes) -> Answer:
        """The centre's verdict on one message, stored, then answered on the centre topics."""
        if self.tenants and topic_tenant(topic) not in self.tenants:
            return Answer(topic, "bad_topic", None, None, None,
                          f"not a topic of the tenants served ({', '.join(self.tenants)}); "
                          "not answered", None)
        if self._retained:
            return self._reject(topic, None, retained_rejection(topic, payload),
                                reason=RETAINED_EVENT)
        if (self._buckets is not None and not self._buckets.take(sender_key(topic))
                and not self._passes_over_limit(topic, payload)):
            return self._throttle(topic, payload)
        now = self._clock()
        place, reason, verdict, joined = self.reception.judge(topic, payload, now, now)
        if isinstance(verdict, Rejected):
            return self._reject(topic, None, verdict)
        if place == DUPLICATE:
            return self._reject_duplicate(verdict.topic, verdict.message)
        return self._judge_accepted(verdict, payload, place, reason, joined, now)

    def _judge_accepted(self, verdict: Accepted, payload: bytes, place: str, reason: str,
                        joined: IncidentChange | None, now: float) -> Answer:
        """Store a valid message with its incidents, then answer it (``id_conflict`` when it
        reused a known id with other content)."""
        topic, message = verdict.topic, verdict.message
        tenant = topic.split("/")[2]  # an accepted topic has a valid tenant level
        device = self._planned_device(tenant, message, now)
        _, filled = device.record_sequence(message.seq, now, self.share_group is None)
        offset = self._clock_offset(message, reason)
        alarm = self._alarm_change(tenant, message, place, joined, now, offset)
        incidents = self._incidents_of(tenant, message, alarm, now)
        incidents.extend(self._gap_changes(device, filled, now))
        incidents.extend(self._clock_changes(device, message, offset, now))
        clock_off = reason == CLOCK_OFF
        if clock_off:
            reason = ""  # acknowledged; the flag is in the answer and the incidents
        incident_id = None if alarm is None else alarm.incident_id
        stored = self.store.store_accepted(
            self._stored_message(tenant, message, payload, now, place, reason, incident_id),
            device.row(), incidents)
        if not stored:  # another centre process stored the same message first
            return self._reject_duplicate(topic, message)
        self._commit_device(device, incidents)
        if alarm is not None and place == INCIDENT:
            self.reception.incidents.opened(topic, message.event, alarm, now)
        elif alarm is not None:
            self.reception.incidents.renewed(topic, message.event, alarm)
        if reason == ID_CONFLICT:  # stored as a message (above), answered as a rejection
            return replace(self._answer_rejection(topic, message, Rejected(
                topic, "schema", "message_id", "a message_id this device has not used for "
                "another message (this message was handled all the same)",
                preview(message.message_id)), reason=ID_CONFLICT),
                place=place, incident_id=incident_id)
        return self._acknowledge(tenant, topic, message, offset, place, incident_id, clock_off)

    def _clock_offset(self, message: DeviceMessage, reason: str) -> float | None:
        """``ts`` minus the receive time when the device's clock is beyond the clock limits
        (the clock rule took the alarm all the same), else None."""
        arrived = self._received_at()
        offset = clock_offset_s(message.ts, arrived)
        if reason == CLOCK_OFF or not (
                -self._limits.max_past_s <= offset <= self._limits.max_future_s):
            return offset
        return None

    def _clock_changes(self, device: TrackedDevice, message: DeviceMessage,
                       offset: float | None, now: float) -> list[IncidentChange]:
        """Flag the device's clock (a ``device_clock`` incident with the offset) or clear the
        flag once a message comes with the clock right."""
        device.clock_offset_s = offset
        incident_id = centre_incident_id(device.tenant, device.device_id, DEVICE_CLOCK)
        flagged = self._open.get(incident_id)
        if offset is None:
            if flagged is None:
                return []
            return [resolved(flagged, now, f"clock right again: seq {message.seq}")]
        if flagged is not None:
            return []
        return [IncidentChange(incident_id, device.tenant, device.device_id, device.device_type,
                               DEVICE_CLOCK, OPEN, now,
                               f"device clock {describe_offset(offset)} (ts "
                               f"{format_ts(message.ts.timestamp())}, seq {message.seq}); its "
                               "alarms are taken and timed from the centre's receive time", 3)]

    def _passes_over_limit(self, topic: str, payload: bytes) -> bool:
        """Whether a message over its device's arrival rate is handled all the same: one whose
        send times keep the device within its limit (a backlog after an outage arrives at
        once but was sent at the device's pace; a flooder gains at most one more burst), or an
        alarm (a person's alarm is never refused; it opens or joins its incident, counted as
        ``over_limit_alarms``)."""
        assert self._sent_buckets is not None
        verdict = decode_message(topic, payload, limits=self._limits, roots=self.reception.roots)
        if isinstance(verdict, Rejected):
            return False
        message = verdict.message
        now = self._clock()
        sent_at = message.ts.timestamp()
        if self._sent_buckets.take(sender_key(topic), sent_at, now):
            self._totals[LATE_WITHIN_LIMIT] += 1
            return True
        if event_spec(message.device_type, message.event).incident:
            self._totals[OVER_LIMIT_ALARMS] += 1
            return True
        return False

    def _throttle(self, topic: str, payload: bytes) -> Answer:
        """Answer ``rate_limited`` without handling the message. Its ``seq`` counts as seen: a
        number the centre refused itself is not a gap (possible loss) in the device's
        sequence; the device resends the message later."""
        assert self._buckets is not None
        rejected = identified(Rejected(
            topic, "schema", "", self._buckets.limit.describe(),
            f"{len(payload)} bytes while throttled"), payload)
        tenant, device_id = answer_address(topic, None)
        if rejected.seq is not None and tenant is not None and device_id is not None:
            device = self._device(tenant, device_type_of(topic), device_id)
            if device is not None:
                device.record_sequence(rejected.seq, self._clock(), self.share_group is None)
        return self._reject(topic, None, rejected, reason=RATE_LIMITED)

    def _reject_duplicate(self, topic: str, message: DeviceMessage) -> Answer:
        """Answer a copy of a message already handled: it is not handled again."""
        return replace(self._reject(topic, message, Rejected(
            topic, "schema", "message_id", "a message not received before (this one was "
            "received and handled already)", preview(message.message_id)), reason=DUPLICATE),
            place=DUPLICATE)

    def _alarm_change(self, tenant: str, message: DeviceMessage, place: str,
                      joined: IncidentChange | None, now: float, offset: float | None = None
                      ) -> IncidentChange | None:
        """The incident an alarm opens, or the one it joins in its new state (None: info).
        Its times are the centre's own; a device clock that is off is named in the detail."""
        clock = "" if offset is None else (
            f"; device clock {describe_offset(offset)}, timed from the centre's receive time")
        if joined is not None:  # joined in its new state (built directly: replace() is slow)
            return IncidentChange(
                joined.incident_id, joined.tenant, joined.device_id, joined.device_type,
                joined.kind, OPEN, now,
                f"repeat: seq {message.seq} ({joined.messages + 1} messages){clock}",
                joined.priority, joined.message_id, joined.messages + 1, joined.started)
        if place != INCIDENT:
            return None
        device_id, kind, event = message.device_id, message.device_type, message.event
        return IncidentChange(
            alarm_incident_id(tenant, message), tenant, device_id, kind, event, OPEN, now,
            f"seq {message.seq}{clock}", self.reception.priority(kind, event),
            message.message_id, opened_at=min(self._received_at(now), now))

    def _planned_device(self, tenant: str, message: DeviceMessage, now: float
                        ) -> TrackedDevice:
        """A copy of the device's state with this message applied (kept only once stored)."""
        current = self._devices.get((tenant, message.device_id))
        device = (current.copy() if current is not None
                  else TrackedDevice(tenant, message.device_type, message.device_id))
        device.last_seen = now
        if is_periodic(message):
            arrived = self._received_at(now)
            device.record_periodic(message.ts.timestamp(), arrived)
        return device

    def _gap_changes(self, device: TrackedDevice, filled: list[Gap], now: float
                     ) -> list[IncidentChange]:
        """``possible_loss`` incidents for gaps still open after the reordering window, and
        the resolution of those whose numbers all arrived late."""
        changes = [resolved(self._open[gap_incident_id(device, gap)], now,
                            f"sequence numbers {gap.first}..{gap.last} arrived late (out of "
                            "order): nothing lost")
                   for gap in filled
                   if gap.reported and gap_incident_id(device, gap) in self._open]
        for gap in device.open_gaps:
            if not gap.reported and now - gap.since >= self._gap_wait_s:
                gap.reported = True
                changes.append(IncidentChange(
                    gap_incident_id(device, gap), device.tenant, device.device_id,
                    device.device_type, POSSIBLE_LOSS, OPEN, now,
                    f"sequence numbers {gap.first}..{gap.last} never arrived "
                    f"({gap.last - gap.first + 1} message(s) possibly lost)", 2))
        return changes

    def _incidents_of(self, tenant: str, message: DeviceMessage, alarm: IncidentChange | None,
                      now: float) -> list[IncidentChange]:
        """The incident this message opens or joins, and the silence it ends."""
        device_id = message.device_id
        changes = [] if alarm is None else [alarm]
        silent = self._open.get(centre_incident_id(tenant, device_id, DEVICE_SILENT))
        if silent is not None:
            changes.append(resolved(silent, now, f"heard again: seq {message.seq}"))
        return changes

    def _stored_message(self, tenant: str, message: DeviceMessage, payload: bytes, now: float,
                        place: str, reason: str, incident_id: str | None) -> StoredMessage:
        """The record of an accepted message."""
        arrived = self._received_at(now)
        return StoredMessage(tenant, message.device_id, message.message_id, message.device_type,
                             message.event, message.seq, format_ts(message.ts.timestamp()),
                             arrived, payload.decode("utf-8"), place, reason, incident_id)

    def _commit_device(self, device: TrackedDevice, incidents: list[IncidentChange]) -> None:
        """Keep the stored device state and incidents in memory too."""
        key = (device.tenant, device.device_id)
        if key in self._devices or len(self._devices) < self._max_devices:
            self._devices[key] = device
        else:
            self._untracked += 1
        for change in incidents:
            if change.kind not in CENTRE_KINDS:
                continue
            if change.state == OPEN:
                self._open[change.incident_id] = change
            else:
                self._open.pop(change.incident_id, None)

    def _received_at(self, now: float | None = None) -> float:
        """When the message in hand came to the centre, on its own clock (not when it is
        judged: after a store outage that can be much later)."""
        if self._arrived_at is not None:
            return self._arrived_at
        return self._clock() if now is None else now

    def _acknowledge(self, tenant: str, topic: str, message: DeviceMessage,
                     clock_offset: float | None = None, place: str = "",
                     incident_id: str | None = None, clock_off: bool = False) -> Answer:
        """Publish the acknowledgement of an accepted message (with the device's clock offset
        when its clock is off)."""
        body = encode_acknowledgement(message, format_ts(self._received_at()), clock_offset)
        answered_on = ack_topic(tenant, message.device_id)
        self._answer(answered_on, body)
        clock = "" if clock_offset is None else f"; device clock {describe_offset(clock_offset)}"
        return Answer(topic, ACCEPTED, tenant, message.device_id, message.message_id,
                      f"{message.device_type}.{message.event} seq {message.seq}{clock}",
                      answered_on, place, incident_id, clock_off=clock_off)

    def _reject(
        self, topic: str, message: DeviceMessage | None, rejected: Rejected,
        reason: str | None = None,
    ) -> Answer:
        """Store a rejection, then publish it where the device can read it."""
        tenant, device_id = answer_address(topic, message)
        message_id = rejected.message_id if message is None else message.message_id
        self.store.store_rejection(StoredRejection(  # the id the refused message carried, if any
            topic, tenant, device_id, message_id, reason or rejected.reason,
            rejected.describe(), self._received_at()))
        return self._answer_rejection(topic, message, rejected, reason)

    def _answer_rejection(
        self, topic: str, message: DeviceMessage | None, rejected: Rejected,
        reason: str | None = None,
    ) -> Answer:
        """Publish a rejection (reason, path, expected, got, and the refused message's own
        message_id and seq) where the device can read it."""
        tenant, device_id = answer_address(topic, message)
        if message is not None and rejected.message_id is None:
            rejected = replace(rejected, message_id=message.message_id, seq=message.seq)
        verdict = reason or rejected.reason
        body = encode_rejection(rejected) if reason is None else encode_centre_rejection(
            rejected, verdict)
        answered_on = None
        if tenant is not None:
            answered_on = rejection_topic(tenant, device_id)
            self._answer(answered_on, body)
        detail = f"at '{rejected.path}': expected {rejected.expected}, got {rejected.got}"
        return Answer(topic, verdict, tenant, device_id, rejected.message_id, detail,
                      answered_on, rejection=rejected)

    def _answer(self, topic: str, body: bytes) -> None:
        """Publish an answer on its centre topic and, for an MQTT 5 request that named a
        response topic of its own device (:func:`reply_address`), there too with the request's
        correlation data. Inside a group, the answer waits for the group's commit."""
        if self._deferred is not None:
            self._deferred.append((topic, body, self._reply_to))
            return
        self._publish(topic, body)
        if self._reply_to is None:
            return
        response_topic, correlation = self._reply_to
        self._publish(response_topic, body, correlation=correlation)

    def publish_answer(self, topic: str, body: bytes) -> None:
        """Publish an answer of another channel (SCAIP) as the centre publishes its own
        (inside a group: after the group's commit)."""
        if self._deferred is not None:
            self._deferred.append((topic, body, None))
            return
        self._publish(topic, body)

    def _publish(self, topic: str, body: bytes, wait_s: float | None = None,
                 correlation: bytes | None = None) -> None:
        """Publish an answer; a failure is counted, never raised (the centre keeps going).
        ``wait_s`` bounds the wait for room in the broker's window (the transport's own
        timeout if None)."""
        options: dict[str, Any] = {}
        if wait_s is not None and hasattr(self.transport, "stop_waiting"):
            options["wait_s"] = wait_s
        if correlation is not None:
            options["correlation_data"] = correlation
        try:
            self.transport.publish(topic, body, qos=ANSWER_QOS, **options)
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
            if not self._totals[UNANSWERED]:
                LOGGER.warning("%s from %s: not answered, its topic names no usable tenant "
                               "(an answer topic must follow the scheme); such messages are "
                               "counted as %r, logged once", answer.verdict, answer.topic,
                               UNANSWERED)
            self._totals[UNANSWERED] += 1
        self._count_for_tenant(answer)
        if self._on_answer is not None:
            self._on_answer(answer)

    def _count_for_tenant(self, answer: Answer) -> None:
        """Count the verdict for its tenant (a served or valid one, up to
        :data:`MAX_TENANTS_COUNTED` of them)."""
        tenant = answer.tenant
        if tenant is None or not valid_level(tenant):
            return
        counts = self._by_tenant.get(tenant)
        if counts is None:
            if len(self._by_tenant) >= MAX_TENANTS_COUNTED:
                return
            counts = self._by_tenant[tenant] = Counter()
        counts[answer.verdict] += 1

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
        if device_type_of(topic) == CENTRE:
            self._totals[OWN_TOPICS] += 1
            return
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
        self._record(self._reject(topic, None, verdict))

    def _note_status(self, verdict: StatusAccepted) -> None:
        """Record a device's online/offline state; offline (the last will) is an incident."""
        status = verdict.status
        tenant = verdict.topic.split("/")[2]
        now = self._clock()
        current = self._devices.get((tenant, status.device_id))
        device = (current.copy() if current is not None
                  else TrackedDevice(tenant, status.device_type, status.device_id))
        device.status = status.status
        device.last_seen = now
        incident_id = centre_incident_id(tenant, status.device_id, DEVICE_OFFLINE)
        changes: list[IncidentChange] = []
        if status.status == "offline" and incident_id not in self._open:
            changes.append(IncidentChange(incident_id, tenant, status.device_id,
                                          status.device_type, DEVICE_OFFLINE, OPEN, now,
                                          "the device said it is offline (or its last will)", 2))
        elif status.status == "online" and incident_id in self._open:
            changes.append(resolved(self._open[incident_id], now, "the device is online again"))
        self.store.store_device(device.row())
        self.store.store_incidents(changes)
        self._commit_device(device, changes)
        self._totals[f"status_{status.status}"] += 1

    # --- silence ----------------------------------------------------------------------------

    def check_silence(self) -> list[IncidentChange]:
        """Raise incidents for silent devices and gaps (:meth:`check_devices`); in a share
        group one process at a time, from the device states read again from the store (the
        other processes took some of each device's messages)."""
        self._read_again_if_stale()
        if self.share_group is None:
            return self.check_devices()
        with self.store.batch():
            self.store.take_check()
            self._reload_devices()
            now = self._clock()
            due = {key for key, device in self._devices.items()
                   if any(not gap.reported and now - gap.since >= self._gap_wait_s
                          for gap in device.open_gaps)}
            if due:  # their rows are written: under their locks, from their latest state
                self._take_keys(due)
            return self.check_devices(now)  # the same moment: only the locked ones are due

    def _reload_devices(self) -> None:
        """Read the device states and open incidents from the store again, keeping what only
        this process counts (verdicts per device, clock offsets)."""
        kept = {key: device for key, device in self._devices.items()}
        self.reload()
        for key, device in self._devices.items():
            old = kept.get(key)
            if old is not None:
                device.counts, device.clock_offset_s = old.counts, old.clock_offset_s
                device.periodic_ts, device.restarts = old.periodic_ts, old.restarts

    def check_devices(self, now: float | None = None) -> list[IncidentChange]:
        """Raise an incident for each device whose periodic messages stopped, and for each gap
        in a device's sequence that outlived the reordering window by ``now`` (default: the
        clock); the new ones.

        A device is silent once its latest periodic message came longer ago (the centre's
        clock) than twice its observed interval plus ``silence_slack_s``. Alarm incidents too
        old to take repeats are let go from memory at the same time (they stay in the store).
        """
        now = self._clock() if now is None else now
        self.reception.incidents.forget_before(now - self.reception.incidents.window)
        gaps: list[IncidentChange] = []
        for device in self._devices.values():
            reported = self._gap_changes(device, [], now) if device.open_gaps else []
            if reported:
                self.store.store_device(device.row())  # its gaps now say reported
                gaps.extend(reported)
        if gaps:
            self.store.store_incidents(gaps)
            for change in gaps:
                self._open[change.incident_id] = change
        raised = [
            IncidentChange(centre_incident_id(d.tenant, d.device_id, DEVICE_SILENT), d.tenant,
                           d.device_id, d.device_type, DEVICE_SILENT, OPEN, now,
                           f"no periodic message for {now - (d.last_periodic or now):.0f} s "
                           f"(interval {d.heartbeat_s:.0f} s)", 2)
            for d in self._devices.values()
            if self._is_silent(d, now)
            and centre_incident_id(d.tenant, d.device_id, DEVICE_SILENT) not in self._open
        ]
        if raised:
            self.store.store_incidents(raised)
            for change in raised:
                self._open[change.incident_id] = change
        return gaps + raised

    def _is_silent(self, device: TrackedDevice, now: float) -> bool:
        """Whether ``device`` missed its periodic messages (it must have an interval)."""
        if device.heartbeat_s is None or device.last_periodic is None:
            return False
        if device.status == "offline":
            return False  # already an offline incident
        return now - device.last_periodic > 2 * device.heartbeat_s + self._silence_slack_s

    # --- reading ----------------------------------------------------------------------------

    def refresh_stored(self) -> StoredCounts:
        """Count what the store holds (for the health report); kept for :meth:`snapshot`."""
        self._stored = self.store.counts()
        return self._stored

    def snapshot(self) -> CentreSnapshot:
        """A copy of the counts and device states, for display."""
        devices = [d.copy() for d in self._devices.values()]
        return CentreSnapshot(dict(self._totals), devices, self._untracked,
                              self._answer_failures, self._messages,
                              list(self._open.values()), self._stored, self._lag_s,
                              {tenant: dict(counts) for tenant, counts in self._by_tenant.items()},
                              self.share_group is not None)


def is_periodic(message: DeviceMessage) -> bool:
    """Whether the message is its kind's periodic one (heartbeat, position)."""
    return event_spec(message.device_type, message.event).periodic


def alarm_incident_id(tenant: str, message: DeviceMessage) -> str:
    """The id of the incident an alarm opens: its device, message id, event, seq and ``ts`` in
    milliseconds, so that a message id reused with other content opens an incident of its own,
    and the same message always names the same incident."""
    return (f"{tenant}/{message.device_id}/{message.message_id}/{message.event}/"
            f"{message.seq}/{ts_ms(message.ts)}")


def describe_offset(offset_s: float) -> str:
    """``3.2 days behind`` / ``412 s ahead``: a device clock's offset for people."""
    where = "ahead" if offset_s > 0 else "behind"
    size = abs(offset_s)
    if size >= 86_400:
        return f"{size / 86_400:.1f} days {where}"
    if size >= 3_600:
        return f"{size / 3_600:.1f} h {where}"
    return f"{size:.0f} s {where}"


def gap_incident_id(device: TrackedDevice, gap: Gap) -> str:
    """The id of the ``possible_loss`` incident of one gap of a device."""
    return f"{device.tenant}/{device.device_id}/{POSSIBLE_LOSS}/{gap.first}-{gap.last}"


def centre_incident_id(tenant: str, device_id: str, kind: str) -> str:
    """The id of one of the centre's own incidents about a device (one open at a time)."""
    return f"{tenant}/{device_id}/{kind}"


def resolved(incident: IncidentChange, now: float, detail: str) -> IncidentChange:
    """``incident`` resolved at ``now``."""
    return replace(incident, state=RESOLVED, at=now, detail=detail)


def sender_key(topic: str) -> tuple[str, str]:
    """Who sent a message, by its topic (tenant and device levels), before it is decoded."""
    levels = topic.split("/")
    if len(levels) == 6:
        return levels[2], levels[4]
    return "", topic


# --- helpers --------------------------------------------------------------------------------


def local_pattern(pattern: str) -> str:
    """The topic filter of a subscription, without a ``$share/{group}/`` in front."""
    if pattern.startswith("$share/"):
        return pattern.split("/", 2)[2]
    return pattern


def valid_level(level: str) -> bool:
    """Whether a topic level can be a tenant or device id in the centre's topics."""
    return LEVEL.fullmatch(level) is not None


def topic_tenant(topic: str) -> str | None:
    """The tenant level of a ``vt/v1/{tenant}/...`` topic, or None."""
    levels = topic.split("/", 3)
    return levels[2] if len(levels) > 3 and levels[0] == "vt" and levels[1] == "v1" else None


def reply_address(message: Any) -> tuple[str, bytes | None] | None:
    """The MQTT 5 response topic a delivered message asked for, with its correlation data.

    Only a topic under the sender's own reply namespace is used,
    ``vt/v1/{tenant}/centre/reply/{device_id}`` or below, the levels taken from the topic the
    message came on: a device cannot make the centre publish on another device's topics (or on
    an events topic, which the centre would receive again).
    """
    response_topic = getattr(message, "response_topic", None)
    if not isinstance(response_topic, str):
        return None
    levels = message.topic.split("/")
    if (len(levels) != 6 or "+" in response_topic or "#" in response_topic
            or not valid_tenant(levels[2]) or not valid_level(levels[4])):
        return None
    own = f"{PREFIX}/{levels[2]}/{CENTRE}/reply/{levels[4]}"
    if response_topic != own and not response_topic.startswith(own + "/"):
        return None
    return response_topic, getattr(message, "correlation_data", None)


def answer_address(topic: str, message: DeviceMessage | None) -> tuple[str | None, str | None]:
    """The tenant and device id to answer to: from the topic (the payload may be anything).

    A topic whose tenant level breaks the topic scheme (``lïer``, a space, an empty level, the
    reserved ``centre``) is answered nowhere (tenant None): an answer topic is always one of
    the scheme. The message is stored and counted (:data:`UNANSWERED`), and logged once.
    """
    levels = topic.split("/")
    if len(levels) != 6 or levels[0] != "vt" or levels[1] != "v1" or not valid_tenant(levels[2]):
        return None, None
    if message is not None:
        return levels[2], message.device_id
    return levels[2], levels[4] if valid_level(levels[4]) else None


def rejection_topic(tenant: str, device_id: str | None) -> str:
    """``.../centre/rejected/{device_id}``, or ``.../centre/rejected`` if the id is unusable."""
    if device_id is None:
        return f"{PREFIX}/{require_tenant(tenant)}/{CENTRE}/rejected"
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
        **message_ids(rejected),
    })
