"""Reception (*motta*): the centre's rules for every device message it receives, in one place.

The simulated centre (:mod:`sim.model.centre`), the live centre (:mod:`vtsim.live.centre`) and
the training centre (:mod:`vtsim.training.centre`) all judge messages with :class:`Reception`;
``vtsim validate`` and ``vtsim conformance`` use its duplicate rule. Each centre adds only what
differs: its clock, its storage and who assesses the incidents. The rules, in order:

1. **Decode and validate** with :func:`devices.contract.codec.decode_message`: a bad message is
   ``rejected`` with the decoder's reason. One exception, the *clock rule*: an alarm (an event
   the catalog says raises an incident) that fails only the clock check (``ts`` more than
   ``max_past_s`` old or ``max_future_s`` ahead: a device clock reset to 1970, never set, or
   drifted) is taken all the same, with the reason :data:`CLOCK_OFF`. A person pressed a
   button; the device's clock is flagged (:func:`clock_offset_s`), and the centre measures the
   alarm from its own receive time. Other events (heartbeats, positions, information) keep the
   strict rule and are rejected ``ts_in_past`` / ``ts_in_future``.
2. **Deduplicate.** A *duplicate* is the same message again: a ``message_id`` the device (its
   events topic) already used, within :data:`DEDUP_WINDOW_S`, for a message with the same
   ``event``, ``seq`` and ``ts`` (to the millisecond). It is answered ``duplicate`` and not
   handled again. A known ``message_id`` with other content is an *id conflict*: answered
   ``id_conflict``, and handled like any new message, so a real alarm is never swallowed.
3. **Information or alarm.** An event the catalog marks as information only ends as ``info``.
4. **Correlate.** An alarm of the same event from the same device joins the incident still
   open for it if it comes within the correlation window of that incident's first message
   (``correlated``); otherwise it opens a new incident (``incident``).
5. **Prioritise**: the scenario's priority for the event, else the catalog's default.
6. **Answer**: an acknowledgement, or a rejection with the reason (:func:`answer_reason`).

The simulated centre calls :meth:`Reception.judge` for every message of a run, so the rules
work on plain values (strings, tuples, floats): a message's fields are read once, from its
``__dict__`` (a pydantic model's attribute access costs several times a dictionary lookup), and
no object is made per message beyond a few tuples.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Final, Generic, Protocol, TypeAlias, TypeVar

from devices.contract.catalog import DEVICE_TYPES
from devices.contract.codec import (
    DEFAULT_LIMITS,
    Accepted,
    Limits,
    Rejected,
    TenantRoots,
    decode_message,
    identified,
)

__all__ = [
    "CLOCK_OFF",
    "CLOCK_REASONS",
    "CORRELATED",
    "DEDUP_WINDOW_S",
    "DEFAULT_CORRELATION_WINDOW_S",
    "DUPLICATE",
    "ID_CONFLICT",
    "INCIDENT",
    "INFO",
    "NEW",
    "PLACES",
    "REJECTED",
    "RETAINED_EVENT",
    "Judgement",
    "MessageMemory",
    "OpenIncidents",
    "Reception",
    "Remembered",
    "answer_reason",
    "clock_offset_s",
    "priority_of",
    "repeat_of",
    "retained_rejection",
]

# Where a received message ends (a message record's ``place``); every message ends in one.
INCIDENT: Final = "incident"
CORRELATED: Final = "correlated"
DUPLICATE: Final = "duplicate"
REJECTED: Final = "rejected"
INFO: Final = "info"
PLACES: Final = (INCIDENT, CORRELATED, DUPLICATE, REJECTED, INFO)
"""Every place, in the order of the records and metrics."""

# What a message is to the centre's memory of message ids.
NEW: Final = "new"
ID_CONFLICT: Final = "id_conflict"
"""A known ``message_id`` with other content: flagged to the device, handled all the same."""
CLOCK_OFF: Final = "clock_off"
"""An alarm whose ``ts`` failed the clock check: taken all the same, its device clock flagged."""
CLOCK_REASONS: Final = frozenset({"ts_in_past", "ts_in_future"})
"""The decoder's reasons that are about the device's clock alone."""

RETAINED_EVENT: Final = "retained_event"
"""The answer to a device message delivered with the retain flag: a stale copy the broker
keeps and hands to every new subscriber (the centre after each restart). It is not handled."""
RETAINED_EXPECTED: Final = ("a device message published without the retain flag (a retained "
                            "copy is stale: the broker delivers it again after every restart "
                            "of the centre); it was not handled. Clear it with an empty "
                            "retained message on its topic")

DEDUP_WINDOW_S: Final = DEFAULT_LIMITS.max_past_s + DEFAULT_LIMITS.max_future_s
"""How long the centre remembers a message id after receiving it: 7 days and 5 minutes, the
longest a copy of a message can still pass the default clock check (``ts`` at most 5 min ahead
when first received, at most 7 days old when received again). A copy of a heartbeat that comes
later is refused as ``ts_in_past``; an alarm is taken despite its clock (the clock rule), so a
copy of an alarm resent more than 7 days after it was first received would count as a new
alarm (a device gives up resending long before: docs/vendors.md)."""
DEFAULT_CORRELATION_WINDOW_S: Final = 600.0
"""Repeats of an alarm within this time of its first message join its incident (10 min)."""

Remembered: TypeAlias = tuple[float, str, int, datetime]
"""What the centre remembers of a received message: when it came, its event, seq and ts."""
Incident = TypeVar("Incident")
Judgement: TypeAlias = tuple[str, str, Accepted | Rejected, Incident | None]
"""``(place, reason, verdict, incident)``: where the message ends (:data:`PLACES`); the reason
beyond the place (the decoder's for ``rejected``, ``id_conflict`` for a message handled under a
reused id, else empty); the decoder's verdict; the open incident a ``correlated`` message
joins. :func:`answer_reason` turns place and reason into the device's answer."""


# --- deduplicate ----------------------------------------------------------------------------


def ts_ms(ts: datetime) -> int:
    """A message's ``ts`` in whole milliseconds since 1970 (the precision the centre keeps)."""
    return round(ts.timestamp() * 1000)


def same_content(remembered: Remembered, event: str, seq: int, ts: datetime) -> bool:
    """Whether a remembered message has this event, seq and ts: the same message again."""
    return (remembered[1] == event and remembered[2] == seq
            and (remembered[3] == ts or ts_ms(remembered[3]) == ts_ms(ts)))


def repeat_of(remembered: Iterable[Remembered], event: str, seq: int, ts: datetime,
              now: float) -> str:
    """:data:`NEW`, :data:`DUPLICATE` or :data:`ID_CONFLICT`: a message (its ``event``, ``seq``
    and ``ts``) judged against what is remembered of its ``message_id`` from the same device.
    Messages received more than :data:`DEDUP_WINDOW_S` before ``now`` are forgotten."""
    known = False
    for entry in remembered:
        if now - entry[0] > DEDUP_WINDOW_S:
            continue
        if same_content(entry, event, seq, ts):
            return DUPLICATE
        known = True
    return ID_CONFLICT if known else NEW


class Memory(Protocol):
    """Where a centre remembers the messages it received (in memory, or its store)."""

    def check_in(self, topic: str, message_id: str, event: str, seq: int, ts: datetime,
                 now: float) -> str:
        """Judge a message (from the device of ``topic``) by :func:`repeat_of`, and remember
        it unless it is a duplicate; the judgement."""
        ...


class MessageMemory:
    """The messages received within :data:`DEDUP_WINDOW_S`, in bounded memory.

    Ids are the device's own: they are held per events topic, ``message_id`` → what is
    remembered of the first message under it, in order of arrival. Every
    :data:`DEDUP_WINDOW_S` the memory is swept of messages received more than a window ago, so
    nothing is forgotten before its window ends and nothing is kept beyond two windows. Times
    are the receiver's own (simulated or epoch seconds) and do not go back; if they did, the
    judgements would stay right and only the sweep would keep some ids longer.
    """

    __slots__ = ("_conflicts", "_ids", "_sweep_at")

    def __init__(self) -> None:
        """An empty memory."""
        self._ids: dict[str, dict[str, Remembered]] = {}
        self._conflicts: dict[tuple[str, str], list[Remembered]] = {}
        """Further contents seen under a known id (rare): a copy of any of them is a duplicate."""
        self._sweep_at = -math.inf

    def __len__(self) -> int:
        """How many message ids are held (forgotten ones may still be among them)."""
        return sum(len(ids) for ids in self._ids.values())

    def check_in(self, topic: str, message_id: str, event: str, seq: int, ts: datetime,
                 now: float) -> str:
        """Judge a message by :func:`repeat_of` and remember it unless it is a duplicate."""
        if now >= self._sweep_at:
            self._sweep(now)
        ids = self._ids.get(topic)
        if ids is None:
            ids = self._ids[topic] = {}
        if message_id not in ids and not self._conflicts:  # the usual case: a new id
            ids[message_id] = (now, event, seq, ts)
            return NEW
        return self._check_again(ids, topic, message_id, ids.get(message_id),
                                 (now, event, seq, ts))

    def _check_again(self, ids: dict[str, Remembered], topic: str, message_id: str,
                     first: Remembered | None, entry: Remembered) -> str:
        """A message whose id is held: a duplicate, a conflict, or new once all is forgotten."""
        key = (topic, message_id)
        others = self._conflicts.get(key, [])
        now, event, seq, ts = entry
        if first is not None and now - first[0] > DEDUP_WINDOW_S:
            first = None  # forgotten, though not yet swept
        judged = repeat_of(others if first is None else (first, *others), event, seq, ts, now)
        if judged == NEW:
            self._conflicts.pop(key, None)
            ids.pop(message_id, None)  # then put last: each device's ids stay in arrival order
            ids[message_id] = entry
        elif judged == ID_CONFLICT:
            self._conflicts[key] = [*others, entry]
        return judged

    def _sweep(self, now: float) -> None:
        """Forget the messages received more than a window before ``now``; the next sweep is
        due a window from now. Each device's ids are held in order of arrival, so a sweep
        stops at a device's first message still within the window."""
        if self._sweep_at > -math.inf:
            for topic, ids in list(self._ids.items()):
                forget_expired(ids, now)
                if not ids:
                    del self._ids[topic]
            self._conflicts = {
                key: kept_entries for key, entries in self._conflicts.items()
                if (kept_entries := [e for e in entries if now - e[0] <= DEDUP_WINDOW_S])
            }
        self._sweep_at = now + DEDUP_WINDOW_S


def forget_expired(ids: dict[str, Remembered], now: float) -> None:
    """Drop, from the front of one device's ids (in order of arrival), those received more
    than :data:`DEDUP_WINDOW_S` before ``now``."""
    expired = []
    for message_id, entry in ids.items():
        if now - entry[0] <= DEDUP_WINDOW_S:
            break
        expired.append(message_id)
    for message_id in expired:
        del ids[message_id]


def retained_rejection(topic: str, payload: bytes) -> Rejected:
    """The rejection of a message delivered with the retain flag (:data:`RETAINED_EVENT`),
    with the message's own ``message_id`` and ``seq`` where it has usable ones."""
    return identified(Rejected(topic, "schema", "", RETAINED_EXPECTED, "retain=1"), payload)


# --- correlate ------------------------------------------------------------------------------


class OpenIncidents(Generic[Incident]):
    """The incidents that repeats may still join: one per device (events topic) and event.

    Each centre keeps its own incident objects here (a simulated incident, a stored incident,
    a training incident's number) and tells when one opens or closes.
    """

    __slots__ = ("_open", "window")

    def __init__(self, window: float = DEFAULT_CORRELATION_WINDOW_S) -> None:
        """No open incidents; repeats join within ``window`` seconds of an incident's start."""
        if window < 0:
            raise ValueError(f"the correlation window must be 0 s or more, got {window}")
        self.window = window
        self._open: dict[tuple[str, str], tuple[Incident, float]] = {}

    def __len__(self) -> int:
        """How many incidents are held."""
        return len(self._open)

    def table(self) -> dict[tuple[str, str], tuple[Incident, float]]:
        """The open incidents themselves, ``(topic, event)`` → ``(incident, start)``: for a hot
        path that writes :meth:`joinable` and :meth:`opened` out (the simulated centre)."""
        return self._open

    def joinable(self, topic: str, event: str, now: float) -> Incident | None:
        """The open incident of this device and event that a repeat at ``now`` joins, if any."""
        entry = self._open.get((topic, event))
        if entry is not None and now - entry[1] <= self.window:
            return entry[0]
        return None

    def get(self, topic: str, event: str) -> Incident | None:
        """The latest open incident of this device and event (joinable or not)."""
        entry = self._open.get((topic, event))
        return None if entry is None else entry[0]

    def opened(self, topic: str, event: str, incident: Incident, at: float) -> None:
        """An incident opened at ``at``: it takes the repeats that follow."""
        self._open[(topic, event)] = (incident, at)

    def renewed(self, topic: str, event: str, incident: Incident) -> None:
        """The incident of this device and event in a new state (same start)."""
        entry = self._open.get((topic, event))
        if entry is not None:
            self._open[(topic, event)] = (incident, entry[1])

    def closed(self, topic: str, event: str, incident: Incident) -> None:
        """An incident closed: it takes no more messages (a later one may hold the key)."""
        entry = self._open.get((topic, event))
        if entry is not None and entry[0] == incident:
            del self._open[(topic, event)]

    def forget_before(self, moment: float) -> None:
        """Drop incidents opened before ``moment`` (they can no longer be joined)."""
        for key in [key for key, entry in self._open.items() if entry[1] < moment]:
            del self._open[key]  # in place: a reception holds this very dictionary


# --- prioritise and answer ------------------------------------------------------------------


def priority_of(device_type: str, event: str,
                configured: Mapping[tuple[str, str], int] | None = None) -> int:
    """An alarm's priority (1 most urgent): the scenario's setting, else the catalog's."""
    chosen = configured.get((device_type, event)) if configured else None
    return chosen or DEVICE_TYPES[device_type].events[event].default_priority


def answer_reason(place: str, reason: str) -> str | None:
    """What the centre answers the device: None for an acknowledgement, else the reason of its
    rejection notice: the decoder's reason, ``duplicate``, or ``id_conflict`` for a message
    handled under a reused id. An alarm taken despite its clock (:data:`CLOCK_OFF`) is
    acknowledged: the device must stop sending it."""
    if place == DUPLICATE:
        return DUPLICATE
    if reason == CLOCK_OFF:
        return None
    return reason or None


def clock_offset_s(ts: datetime, epoch_s: float) -> float:
    """How far a device's ``ts`` is from the receiver's clock ``epoch_s``: positive ahead,
    negative behind (seconds)."""
    return ts.timestamp() - epoch_s


def incident_kinds() -> dict[str, dict[str, bool]]:
    """Per device type and event, whether the event raises an incident (else: information)."""
    return {kind: {name: spec.incident for name, spec in device.events.items()}
            for kind, device in DEVICE_TYPES.items()}


# --- the whole of reception -----------------------------------------------------------------


class Reception(Generic[Incident]):
    """One centre's reception: decode, deduplicate, correlate, in that order.

    ``memory`` holds the message ids (default: :class:`MessageMemory`; the live centre uses its
    store). ``incidents`` holds the centre's open incidents; the centre tells it when an
    incident opens or closes. ``priorities`` are the scenario's settings per
    ``(device_type, event)``.
    """

    __slots__ = ("_check_in", "_open", "_raises", "incidents", "limits", "memory", "priorities",
                 "roots")

    def __init__(
        self,
        *,
        limits: Limits = DEFAULT_LIMITS,
        memory: Memory | None = None,
        correlation_window: float = DEFAULT_CORRELATION_WINDOW_S,
        priorities: Mapping[tuple[str, str], int] | None = None,
    ) -> None:
        """A reception with empty memory and no open incidents."""
        self.limits = limits
        self.roots = TenantRoots()
        self.memory: Memory = MessageMemory() if memory is None else memory
        self.incidents: OpenIncidents[Incident] = OpenIncidents(correlation_window)
        self.priorities = dict(priorities or {})
        self._raises = incident_kinds()
        self._check_in = self.memory.check_in
        self._open = self.incidents.table()

    def judge(self, topic: str, payload: bytes, now: float,
              epoch_s: float | None) -> Judgement[Incident]:
        """Where one message ends: see :data:`Judgement`. ``now`` is the centre's clock (for
        the windows), ``epoch_s`` the same moment in epoch seconds (for the ``ts`` check)."""
        verdict = decode_message(topic, payload, now_epoch_s=epoch_s, limits=self.limits,
                                 roots=self.roots)
        clock = ""
        if isinstance(verdict, Rejected):
            verdict = self._despite_clock(topic, payload, verdict)
            if isinstance(verdict, Rejected):
                return REJECTED, verdict.reason, verdict, None
            clock = CLOCK_OFF
        fields = verdict.message.__dict__
        event = fields["event"]
        repeat = self._check_in(topic, fields["message_id"], event, fields["seq"], fields["ts"],
                                now)
        if repeat == DUPLICATE:
            return DUPLICATE, "", verdict, None
        reason = clock if repeat == NEW else ID_CONFLICT
        if not self._raises[fields["device_type"]][event]:
            return INFO, reason, verdict, None
        entry = self._open.get((topic, event))  # OpenIncidents.joinable, written out
        if entry is None or now - entry[1] > self.incidents.window:
            return INCIDENT, reason, verdict, None
        return CORRELATED, reason, verdict, entry[0]

    def _despite_clock(self, topic: str, payload: bytes, rejected: Rejected
                       ) -> Accepted | Rejected:
        """The clock rule: an alarm refused for its ``ts`` alone, taken without the clock check;
        any other rejection as it is."""
        if rejected.reason not in CLOCK_REASONS:
            return rejected
        verdict = decode_message(topic, payload, now_epoch_s=None, limits=self.limits,
                                 roots=self.roots)
        if isinstance(verdict, Rejected):
            return rejected
        message = verdict.message
        if not self._raises[message.device_type][message.event]:
            return rejected  # not an alarm: the strict rule stands
        return verdict

    def priority(self, device_type: str, event: str) -> int:
        """The priority of an alarm of this kind (:func:`priority_of`)."""
        return priority_of(device_type, event, self.priorities)
