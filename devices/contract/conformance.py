"""Conformance of one device's MQTT output with the message contract: the pure evaluation.

A watcher subscribes to one device's topics (at QoS 2, so that each message arrives at the QoS
its publisher used), records every message as an :class:`Observation` and hands the list to
:func:`evaluate`. Each requirement of the contract gets a :class:`Finding`: ``pass``, ``fail``
or ``not_observed`` (the watch saw nothing that could decide it), with evidence a vendor can act
on. This module does no I/O; ``vtsim conformance`` gathers the observations over MQTT.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Final, Literal, TypeAlias

from pydantic import ValidationError

from devices.contract.catalog import DEVICE_TYPES
from devices.contract.codec import (
    DEFAULT_LIMITS,
    Accepted,
    Limits,
    Rejected,
    StatusAccepted,
    decode_message,
    decode_status,
    format_ts,
    preview,
)
from devices.contract.messages import MESSAGE_ADAPTER, DeviceMessage
from devices.contract.reception import DUPLICATE, ID_CONFLICT, MessageMemory
from devices.contract.topics import STATUS, parse_device_topic

Verdict: TypeAlias = Literal["pass", "fail", "not_observed"]

REQUIREMENTS: Final = {
    "schema": "Every events payload is accepted by the contract",
    "topic": "Device id and kind in the payload match the topic",
    "qos": "Events are published at QoS 1",
    "sequence": "Sequence numbers strictly increase",
    "message_id": "A message_id is never used again for another message",
    "heartbeat": "The periodic message keeps its interval",
    "retained_status": "A retained 'online' status is there on subscribe",
    "last_will": "The last will says 'offline' when the session ends",
    "events_not_retained": "Events are published without the retain flag",
    "clock_skew": "ts is within the contract's limits of the receive time",
}
"""Requirement keys (stable, used in the JSON report) and their titles, in report order."""

MAX_EVIDENCE: Final = 8
"""Most evidence lines listed per requirement; the rest are counted."""

QOS_2_NOTE: Final = ("QoS 2 means a publisher at QoS 2, or a broker that delivers at the "
                     "subscription's QoS instead of the publisher's (amqtt 0.12 does): "
                     "judge QoS on Mosquitto")
TOPIC_REASONS: Final = ("topic_mismatch", "bad_topic")
CONTRACT_QOS: Final = 1


@dataclass(frozen=True, slots=True)
class Observation:
    """One message as the watcher received it."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    received_at: float
    """Receiver clock, UNIX seconds."""


@dataclass(frozen=True, slots=True)
class Expectations:
    """What the watched device should do, and how much slack the checks allow."""

    device_id: str
    heartbeat_interval_s: float | None = None
    """Expected period of the device kind's periodic message (None: unknown, not checked)."""
    interval_tolerance: float = 0.1
    """Relative tolerance on each heartbeat gap."""
    interval_slack_s: float = 5.0
    """Absolute slack on each heartbeat gap for network delays (at most the relative one)."""
    limits: Limits = DEFAULT_LIMITS

    def interval_bounds(self) -> tuple[float, float] | None:
        """Shortest and longest acceptable gap between periodic messages."""
        interval = self.heartbeat_interval_s
        if interval is None:
            return None
        relative = interval * self.interval_tolerance
        spread = relative + min(self.interval_slack_s, relative)
        return max(0.0, interval - spread), interval + spread


@dataclass(frozen=True, slots=True)
class Finding:
    """The verdict on one requirement, with a one-line summary and evidence lines."""

    requirement: str
    verdict: Verdict
    summary: str
    evidence: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """The requirement's title."""
        return REQUIREMENTS[self.requirement]


@dataclass(frozen=True, slots=True)
class EventMessage:
    """A received events message whose payload passed the schema."""

    observation: Observation
    message: DeviceMessage
    verdict: Accepted | Rejected
    repeat: str = "new"
    """What the centre's duplicate rule makes of it: ``new``, ``duplicate`` (the same message
    again) or ``id_conflict`` (a known id with other content)."""


@dataclass(slots=True)
class Sorted:
    """The observations sorted by channel, with every events payload decoded once."""

    events: list[Observation] = field(default_factory=list)
    status: list[Observation] = field(default_factory=list)
    status_verdicts: list[StatusAccepted | Rejected] = field(default_factory=list)
    other: list[Observation] = field(default_factory=list)
    verdicts: list[Accepted | Rejected] = field(default_factory=list)
    valid: list[EventMessage] = field(default_factory=list)
    memory: MessageMemory = field(default_factory=MessageMemory)
    """The centre's memory of message ids, as the messages come."""


@dataclass(frozen=True, slots=True)
class ConformanceReport:
    """Every finding of one watch of one device."""

    device_id: str
    started_at: float
    ended_at: float
    tenants: tuple[str, ...]
    device_types: tuple[str, ...]
    counts: dict[str, int]
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        """True when no requirement failed (``not_observed`` does not fail)."""
        return all(f.verdict != "fail" for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON-ready mapping with stable keys."""
        return {
            "device_id": self.device_id,
            "tenants": list(self.tenants),
            "device_types": list(self.device_types),
            "watch": {
                "started_at": format_ts(self.started_at),
                "ended_at": format_ts(self.ended_at),
                "duration_s": round(self.ended_at - self.started_at, 3),
            },
            "messages": dict(self.counts),
            "passed": self.passed,
            "failed": [f.requirement for f in self.findings if f.verdict == "fail"],
            "requirements": [
                {
                    "key": f.requirement,
                    "title": f.title,
                    "verdict": f.verdict,
                    "summary": f.summary,
                    "evidence": list(f.evidence),
                }
                for f in self.findings
            ],
        }


# --- the evaluation -------------------------------------------------------------------------


def evaluate(
    observations: Sequence[Observation],
    expectations: Expectations,
    started_at: float,
    ended_at: float,
) -> ConformanceReport:
    """Judge every requirement on what was received between ``started_at`` and ``ended_at``.

    ``observations`` come in the order received; the retained messages delivered on
    subscribe carry ``retain=True``.
    """
    seen = sort_observations(observations, expectations.device_id)
    findings = (
        check_schema(seen),
        check_topic(seen, expectations.device_id),
        check_qos(seen),
        check_sequence(seen),
        check_message_ids(seen),
        check_heartbeat(seen, expectations, started_at, ended_at),
        check_retained_status(seen),
        check_last_will(seen, expectations, ended_at),
        check_events_not_retained(seen),
        check_clock_skew(seen, expectations.limits),
    )
    return ConformanceReport(
        device_id=expectations.device_id,
        started_at=started_at,
        ended_at=ended_at,
        tenants=topic_levels(seen, "tenant"),
        device_types=topic_levels(seen, "device_type"),
        counts={"events": len(seen.events), "status": len(seen.status), "other": len(seen.other)},
        findings=findings,
    )


def sort_observations(observations: Iterable[Observation], device_id: str) -> Sorted:
    """Split by channel and decode every events payload (topic and schema, no clock)."""
    seen = Sorted()
    for observation in observations:
        parsed = parse_device_topic(observation.topic)
        if parsed is None or parsed.device_id != device_id:
            seen.other.append(observation)
        elif parsed.channel == STATUS:
            seen.status.append(observation)
            seen.status_verdicts.append(decode_status(observation.topic, observation.payload))
        else:
            add_event(seen, observation)
    return seen


def add_event(seen: Sorted, observation: Observation) -> None:
    """Decode one events message and keep it, with its message when the schema accepts it."""
    verdict = decode_message(observation.topic, observation.payload)
    seen.events.append(observation)
    seen.verdicts.append(verdict)
    if isinstance(verdict, Accepted):
        message: DeviceMessage | None = verdict.message
    else:
        message = schema_valid(verdict, observation)
    if message is not None:
        repeat = seen.memory.check_in(observation.topic, message.message_id, message.event,
                                      message.seq, message.ts, observation.received_at)
        seen.valid.append(EventMessage(observation, message, verdict, repeat))


def schema_valid(verdict: Rejected, observation: Observation) -> DeviceMessage | None:
    """The message of a payload rejected only for its topic; None for a schema failure."""
    if verdict.reason not in TOPIC_REASONS:
        return None
    try:
        return MESSAGE_ADAPTER.validate_json(observation.payload)
    except ValidationError:
        return None


def topic_levels(seen: Sorted, level: Literal["tenant", "device_type"]) -> tuple[str, ...]:
    """The distinct tenants or device kinds in the topics of the device's messages."""
    values: list[str] = []
    for observation in (*seen.events, *seen.status):
        parsed = parse_device_topic(observation.topic)
        value = getattr(parsed, level) if parsed else None
        if value is not None and value not in values:
            values.append(value)
    return tuple(values)


# --- one check per requirement --------------------------------------------------------------


def check_schema(seen: Sorted) -> Finding:
    """Every events payload passes the contract's schema (topic problems are judged apart)."""
    if not seen.events:
        return not_observed("schema", "no events message received")
    failures = [
        f"{stamp(o)}: {v.describe()}"
        for o, v in zip(seen.events, seen.verdicts, strict=True)
        if isinstance(v, Rejected) and v.reason not in TOPIC_REASONS
    ]
    total = len(seen.events)
    if failures:
        return Finding("schema", "fail", f"{len(failures)} of {total} payloads rejected",
                       limit_evidence(failures))
    return Finding("schema", "pass", f"all {total} payloads accepted")


def check_topic(seen: Sorted, device_id: str) -> Finding:
    """Messages come on the device's own topics, naming the same device and kind."""
    problems = [f"{stamp(o)}: topic outside the scheme vt/v1/{{tenant}}/{{device_type}}/"
                f"{device_id}/{{events|status}}" for o in seen.other]
    problems += [
        f"{stamp(m.observation)}: {m.verdict.describe()}"
        for m in seen.valid
        if isinstance(m.verdict, Rejected)
    ]
    kinds = topic_levels(seen, "device_type")
    tenants = topic_levels(seen, "tenant")
    if len(kinds) > 1 or len(tenants) > 1:
        problems.append(f"one device id on several devices: tenants {', '.join(tenants)}, "
                        f"kinds {', '.join(kinds)} (give --tenant to watch one)")
    if problems:
        return Finding("topic", "fail", f"{len(problems)} topic problem(s)",
                       limit_evidence(problems))
    if not seen.valid and not seen.status:
        return not_observed("topic", "no schema-valid events message or status received")
    return Finding("topic", "pass", f"{len(seen.valid)} messages on {', '.join(kinds)} topics "
                   f"of tenant {', '.join(tenants)}")


def check_qos(seen: Sorted) -> Finding:
    """Every events message arrived at QoS 1 (the subscription's QoS 2 shows the publisher's)."""
    if not seen.events:
        return not_observed("qos", "no events message received")
    wrong = [f"{stamp(o)}: QoS {o.qos}" for o in seen.events if o.qos != CONTRACT_QOS]
    counts = count_by_qos(seen.events)
    note = [QOS_2_NOTE] if any(o.qos == 2 for o in seen.events) else []
    if wrong:
        return Finding("qos", "fail", f"{len(wrong)} of {len(seen.events)} events not at QoS 1 "
                       f"({counts})", (*note, *limit_evidence(wrong)))
    return Finding("qos", "pass", f"all {len(seen.events)} events at QoS 1")


def count_by_qos(observations: Iterable[Observation]) -> str:
    """E.g. ``QoS 0: 3, QoS 1: 40``."""
    counts: dict[int, int] = {}
    for observation in observations:
        counts[observation.qos] = counts.get(observation.qos, 0) + 1
    return ", ".join(f"QoS {qos}: {n}" for qos, n in sorted(counts.items()))


def check_sequence(seen: Sorted) -> Finding:
    """``seq`` increases with every new message; copies of a message (QoS 1 redeliveries, the
    same message again by the centre's duplicate rule) are allowed."""
    if not seen.valid:
        return not_observed("sequence", "no schema-valid events message received")
    order = SequenceOrder()
    for item in seen.valid:
        order.add(item)
    evidence = order.backwards + order.gaps + order.redeliveries
    summary = (f"{len(order.seqs)} messages, seq {min(order.seqs)}..{max(order.seqs)}; "
               f"{len(order.backwards)} backwards or repeated, {len(order.gaps)} gap(s), "
               f"{len(order.redeliveries)} redelivery(ies)")
    verdict: Verdict = "fail" if order.backwards else "pass"
    return Finding("sequence", verdict, summary, limit_evidence(evidence))


@dataclass(slots=True)
class SequenceOrder:
    """Walks the sequence numbers in receive order, noting what breaks the order."""

    seqs: list[int] = field(default_factory=list)
    backwards: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    redeliveries: list[str] = field(default_factory=list)
    highest: int = -1

    def add(self, item: EventMessage) -> None:
        """Take the next message in receive order."""
        message, when = item.message, stamp(item.observation)
        if item.repeat == DUPLICATE:
            self.redeliveries.append(f"{when}: redelivery of {message.message_id} "
                                     f"(seq {message.seq}, allowed at QoS 1)")
            return
        if self.seqs and message.seq <= self.highest:
            self.backwards.append(f"{when}: seq {message.seq} ({message.message_id}) after "
                                  f"seq {self.seqs[-1]}")
        elif self.seqs and message.seq > self.highest + 1:
            self.gaps.append(f"{when}: gap, seq {self.highest + 1}..{message.seq - 1} "
                             f"not received")
        self.seqs.append(message.seq)
        self.highest = max(self.highest, message.seq)


def check_message_ids(seen: Sorted) -> Finding:
    """No ``message_id`` names two different messages (the centre answers ``id_conflict``).

    The centre still handles such a message, but a device whose ids repeat (a counter that
    restarts at boot, one id scheme for heartbeats and alarms) cannot tell its answers apart.
    """
    if not seen.valid:
        return not_observed("message_id", "no schema-valid events message received")
    first: dict[str, EventMessage] = {}
    conflicts: list[str] = []
    for item in seen.valid:
        message = item.message
        earlier = first.setdefault(message.message_id, item)
        if item.repeat == ID_CONFLICT:
            conflicts.append(
                f"{stamp(item.observation)}: message id {message.message_id} reused for "
                f"{message.event} seq {message.seq} (first: {earlier.message.event} seq "
                f"{earlier.message.seq}); the centre answers id_conflict")
    ids = len(first)
    if conflicts:
        return Finding("message_id", "fail", f"{len(conflicts)} message(s) reused an id of "
                       f"another message ({ids} distinct ids)", limit_evidence(conflicts))
    return Finding("message_id", "pass", f"{ids} distinct ids, none reused for another message")


def check_heartbeat(seen: Sorted, expectations: Expectations, started_at: float,
                    ended_at: float) -> Finding:
    """The kind's periodic message comes every interval, give or take the tolerance."""
    kinds = {m.message.device_type for m in seen.valid}
    if len(kinds) != 1:
        return not_observed("heartbeat", "device kind unknown: no schema-valid events message")
    kind = kinds.pop()
    periodic = [e for e, spec in DEVICE_TYPES[kind].events.items() if spec.periodic]
    bounds = expectations.interval_bounds()
    if not periodic:
        return not_observed("heartbeat", f"{kind} has no periodic message in the contract")
    if bounds is None:
        return not_observed("heartbeat", "no expected interval (give --interval or --scenario)")
    times = periodic_times(seen, periodic)
    until = offline_time(seen) or ended_at
    return judge_gaps(times, bounds, started_at, until, periodic)


def periodic_times(seen: Sorted, periodic: list[str]) -> list[float]:
    """Receive times of the periodic messages, each message id once."""
    times: list[float] = []
    ids: set[str] = set()
    for item in seen.valid:
        message = item.message
        if message.event in periodic and message.message_id not in ids:
            ids.add(message.message_id)
            times.append(item.observation.received_at)
    return times


def offline_time(seen: Sorted) -> float | None:
    """When a live ``offline`` status arrived (the device stopped), if it did."""
    for observation, state in states(seen):
        if not observation.retain and state == "offline":
            return observation.received_at
    return None


def states(seen: Sorted) -> list[tuple[Observation, str]]:
    """Every valid status message with the state it says (``online`` or ``offline``)."""
    return [(o, v.status.status) for o, v in zip(seen.status, seen.status_verdicts, strict=True)
            if isinstance(v, StatusAccepted)]


def bounds_text(shortest: float, longest: float) -> str:
    """``shortest..longest`` with as few decimals as tell the two apart (``1.8..2.2``)."""
    for decimals in range(4):
        low, high = f"{shortest:.{decimals}f}", f"{longest:.{decimals}f}"
        if low != high:
            return f"{low}..{high}"
    return f"{shortest:g}..{longest:g}"


def judge_gaps(times: list[float], bounds: tuple[float, float], started_at: float,
               until: float, periodic: list[str]) -> Finding:
    """Too long: any gap, counting from the watch start and to its end; too short: between two."""
    shortest, longest = bounds
    name = "/".join(periodic)
    expected = f"expected every {bounds_text(shortest, longest)} s"
    edges = [started_at, *times, until]
    long_gaps = [(a, b) for a, b in pairwise(edges) if b - a > longest]
    short_gaps = [(a, b) for a, b in pairwise(times) if b - a < shortest]
    problems = [f"{format_ts(a)}..{format_ts(b)}: {b - a:.1f} s without {name}"
                for a, b in long_gaps]
    problems += [f"{format_ts(b)}: {name} only {b - a:.1f} s after the previous one"
                 for a, b in short_gaps]
    if problems:
        return Finding("heartbeat", "fail", f"{len(problems)} gap(s) off; {expected}",
                       limit_evidence(problems))
    if len(times) < 2:
        return not_observed("heartbeat", f"{len(times)} {name} in {until - started_at:.0f} s; "
                            f"watch at least two intervals ({expected})")
    gaps = [b - a for a, b in pairwise(times)]
    return Finding("heartbeat", "pass", f"{len(times)} {name}, gaps {min(gaps):.1f}.."
                   f"{max(gaps):.1f} s; {expected}")


def check_retained_status(seen: Sorted) -> Finding:
    """On subscribe the broker holds the device's status, and it says ``online``."""
    bad = bad_status_payloads(seen)
    if bad:
        return Finding("retained_status", "fail", f"{len(bad)} status message(s) rejected",
                       limit_evidence(bad))
    retained = [(o, state) for o, state in states(seen) if o.retain]
    if retained and retained[-1][1] == "online":
        return Finding("retained_status", "pass", f"retained status 'online' at "
                       f"{format_ts(retained[-1][0].received_at)}")
    if retained:
        return not_observed("retained_status", "the retained status says 'offline': the device "
                            "was not connected when the watch began")
    if any(state == "online" for _, state in states(seen)):
        return not_observed("retained_status", "no status on subscribe; the device came online "
                            "during the watch (a live message does not show its retain flag): "
                            "watch again while the device is connected")
    return Finding("retained_status", "fail", "no retained status on subscribe: publish "
                   "'online' with retain=true on the status topic at every connect")


def check_last_will(seen: Sorted, expectations: Expectations, ended_at: float) -> Finding:
    """An ``offline`` status arrived when the device's session ended (or was retained).

    Without one, a device that fell silent for longer than its periodic message allows ended
    its session without a will: that fails. A device without a periodic message that merely
    sent nothing more is not judged.
    """
    bad = bad_status_payloads(seen)
    if bad:
        return Finding("last_will", "fail", f"{len(bad)} status message(s) rejected",
                       limit_evidence(bad))
    offline = [o for o, state in states(seen) if state == "offline"]
    if not offline:
        return judge_silence(seen, expectations, ended_at)
    first = offline[0]
    how = "retained on subscribe" if first.retain else "published live"
    last_event = max((o.received_at for o in seen.events if o.received_at <= first.received_at),
                     default=None)
    after = ("" if last_event is None
             else f", {first.received_at - last_event:.1f} s after its last events message")
    return Finding("last_will", "pass", f"'offline' {how} at {format_ts(first.received_at)}"
                   f"{after}", ("the wire does not tell a will from a clean 'offline' publish; "
                                "test by cutting the device's power or network",))


def judge_silence(seen: Sorted, expectations: Expectations, ended_at: float) -> Finding:
    """No ``offline`` status came: a device gone silent past its interval has no will."""
    bounds = expectations.interval_bounds()
    last = max((o.received_at for o in seen.events), default=None)
    if bounds is not None and last is not None and ended_at - last > 1.5 * bounds[1]:
        return Finding(
            "last_will", "fail",
            f"silent for {ended_at - last:.0f} s since {format_ts(last)} (its periodic message "
            f"is due every {expectations.heartbeat_interval_s:g} s) and no 'offline' status "
            "came: register a last will, 'offline' retained on the status topic, at connect",
        )
    return not_observed("last_will", "the device stayed connected; to test the will, cut "
                        "its power or network (no clean disconnect) while watching: the "
                        "broker publishes the will within 1.5 keep-alive periods")


def check_events_not_retained(seen: Sorted) -> Finding:
    """No events message is kept by the broker as retained: each would be delivered again to
    every new subscriber (the centre after each restart) as if sent once more."""
    if not seen.events:
        return not_observed("events_not_retained", "no events message received")
    retained = [o for o in seen.events if o.retain]
    if retained:
        topic = retained[0].topic
        return Finding(
            "events_not_retained", "fail",
            f"{len(retained)} events message(s) retained on {topic}: publish events with "
            f"retain=false, and clear it with an empty retained message on {topic}",
            limit_evidence([f"{stamp(o)}: {preview(o.payload.decode('utf-8', 'replace'))}"
                            for o in retained]),
        )
    return Finding("events_not_retained", "pass", "no retained events message on subscribe "
                   "(a live message does not show its retain flag)")


def bad_status_payloads(seen: Sorted) -> list[str]:
    """Status messages the contract rejects (an empty payload only clears a retained status)."""
    return [f"{stamp(o)}: {v.describe()}"
            for o, v in zip(seen.status, seen.status_verdicts, strict=True)
            if isinstance(v, Rejected) and o.payload]


def check_clock_skew(seen: Sorted, limits: Limits) -> Finding:
    """``ts`` is at most ``max_future_s`` ahead of and ``max_past_s`` behind the receive time."""
    if not seen.valid:
        return not_observed("clock_skew", "no schema-valid events message received")
    skews = [(m.message.ts.timestamp() - m.observation.received_at, m) for m in seen.valid]
    wrong = [f"{stamp(m.observation)}: {m.message.message_id} ts {skew:+.1f} s from receipt"
             for skew, m in skews if skew > limits.max_future_s or skew < -limits.max_past_s]
    values = [skew for skew, _ in skews]
    summary = (f"ts minus receive time {min(values):+.1f}..{max(values):+.1f} s "
               f"(limits -{limits.max_past_s:.0f}..+{limits.max_future_s:.0f} s)")
    if wrong:
        return Finding("clock_skew", "fail", f"{len(wrong)} message(s) outside the limits; "
                       f"{summary}", limit_evidence(wrong))
    return Finding("clock_skew", "pass", summary)


# --- helpers --------------------------------------------------------------------------------


def not_observed(requirement: str, summary: str) -> Finding:
    """A requirement the watch could not decide."""
    return Finding(requirement, "not_observed", summary)


def stamp(observation: Observation) -> str:
    """When a message arrived, for evidence lines."""
    return format_ts(observation.received_at)


def limit_evidence(lines: list[str]) -> tuple[str, ...]:
    """At most :data:`MAX_EVIDENCE` lines, the rest counted in a last line."""
    if len(lines) <= MAX_EVIDENCE:
        return tuple(lines)
    return (*lines[: MAX_EVIDENCE - 1], f"... and {len(lines) - MAX_EVIDENCE + 1} more")
