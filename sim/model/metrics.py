"""Measurements of one replication, computed from its records only.

Every figure is measured over the window ``[warmup, horizon)``: messages and incidents by the time
they reached the centre, visits by the time of their alarm. Metric keys are stable and documented
in ``docs/metrics.md`` (generated from :data:`METRICS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.model.records import PLACES, RecordTable, RunLog
from sim.scenario.durations import format_duration
from sim.scenario.schema import OUTCOMES, Scenario

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """A documented metric key (``{…}`` marks a part filled in per scenario)."""

    key: str
    unit: str
    description: str


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("window.days", "d", "Length of the measurement window (horizon less warm-up)."),
    MetricSpec("messages.received", "count", "Messages that reached the centre in the window."),
    MetricSpec("messages.{place}", "count",
               "Messages by where they ended: incident, correlated, duplicate, rejected, info."),
    MetricSpec("messages.aggregated", "count",
               "Periodic telemetry and information messages counted, not simulated one by one."),
    MetricSpec("messages.aggregated.{device_type}", "count", "Aggregated messages by device kind."),
    MetricSpec("messages.per_day", "1/d",
               "All message volume per day: received plus aggregated."),
    MetricSpec("incidents.count", "count", "Incidents opened in the window."),
    MetricSpec("incidents.per_day", "1/d", "Incidents opened per day."),
    MetricSpec("incidents.{device_type}.{event}", "count", "Incidents by device kind and event."),
    MetricSpec("incidents.open_at_horizon", "count",
               "Incidents still waiting or in progress at the horizon."),
    MetricSpec("answer.mean_s", "s", "Mean answer time: message received to operator answering."),
    MetricSpec("answer.p50_s", "s", "Median answer time."),
    MetricSpec("answer.p90_s", "s", "90th percentile of the answer time."),
    MetricSpec("answer.p99_s", "s", "99th percentile of the answer time."),
    MetricSpec("answer.max_s", "s", "Longest answer time."),
    MetricSpec("answer.p_wait", "share", "Share of incidents that waited for an operator (> 0 s)."),
    MetricSpec("answer.within_{target}", "share",
               "Share answered within each target of targets.answer_within (unanswered "
               "incidents older than the target count as missed)."),
    MetricSpec("answer.priority_{p}.mean_s", "s", "Mean answer time by priority (1 most urgent)."),
    MetricSpec("operator.handling_mean_s", "s", "Mean operator time to assess and act."),
    MetricSpec("operator.wrapup_mean_s", "s", "Mean documentation (wrap-up) time."),
    MetricSpec("operators.utilisation.{shift}", "share",
               "Busy share of the operators on each shift (work past shift end included)."),
    MetricSpec("operators.utilisation.all", "share", "Busy share of all operator time."),
    MetricSpec("outcomes.{outcome}", "count",
               "Incidents with each outcome (decided when the assessment ends)."),
    MetricSpec("visits.count", "count", "Home visits dispatched for alarms in the window."),
    MetricSpec("visits.per_day", "1/d", "Home visits dispatched per day."),
    MetricSpec("visits.response_mean_s", "s",
               "Mean visit response time: alarm received to field worker at the home."),
    MetricSpec("visits.response_p90_s", "s", "90th percentile of the visit response time."),
    MetricSpec("visits.within_{target}", "share",
               "Share of visits on site within each target of targets.visit_within."),
    MetricSpec("visits.wait_for_worker_mean_s", "s",
               "Mean time a dispatched visit waited for a free field worker."),
    MetricSpec("field.utilisation.{zone}", "share", "Busy share of each zone's field workers."),
)


def replication_metrics(scenario: Scenario, log: RunLog) -> dict[str, float]:
    """All metrics of one replication as a flat mapping of key to value (NaN if undefined)."""
    window = (scenario.warmup, scenario.horizon)
    out: dict[str, float] = {"window.days": (window[1] - window[0]) / DAY}
    out.update(message_metrics(scenario, log, window))
    out.update(incident_metrics(scenario, log, window))
    out.update(utilisation_metrics(scenario, log, window))
    out.update(visit_metrics(scenario, log, window))
    return out


def message_metrics(scenario: Scenario, log: RunLog,
                    window: tuple[float, float]) -> dict[str, float]:
    """Message counts by place, aggregated telemetry and daily volume."""
    messages = log.messages
    inside = _within(messages.numpy("t_received"), window)
    out = {"messages.received": float(inside.sum())}
    counts = _label_counts(messages, "place", inside)
    for place in PLACES:
        out[f"messages.{place}"] = counts.get(place, 0.0)
    aggregated = {kind: 0.0 for kind in scenario.devices}
    for t in log.telemetry:
        aggregated[t.device_type] = aggregated.get(t.device_type, 0.0) + t.messages
    out["messages.aggregated"] = float(sum(aggregated.values()))
    for kind, count in aggregated.items():
        out[f"messages.aggregated.{kind}"] = count
    days = (window[1] - window[0]) / DAY
    out["messages.per_day"] = (out["messages.received"] + out["messages.aggregated"]) / days
    return out


def incident_metrics(scenario: Scenario, log: RunLog,
                     window: tuple[float, float]) -> dict[str, float]:
    """Incident counts, answer times, operator times and outcomes."""
    incidents = log.incidents
    received = incidents.numpy("t_received")
    inside = _within(received, window)
    count = float(inside.sum())
    days = (window[1] - window[0]) / DAY
    out = {"incidents.count": count, "incidents.per_day": count / days}
    for kind, device in scenario.devices.items():
        for event in device.events:
            out[f"incidents.{kind}.{event}"] = 0.0
    out.update(incident_kind_counts(log, inside))
    closed = incidents.equals("state", "closed")
    out["incidents.open_at_horizon"] = float((inside & ~closed).sum())
    answered = incidents.numpy("t_answered")
    out.update(answer_metrics(received[inside], answered[inside], window[1],
                              scenario.targets.answer_within))
    waits = answered - received
    for p in range(1, 6):
        chosen = inside & incidents.equals("priority", p)
        out[f"answer.priority_{p}.mean_s"] = _mean(_defined(waits[chosen]))
    done = inside & closed
    handled = incidents.numpy("t_handled")
    out["operator.handling_mean_s"] = _mean((handled - answered)[done])
    out["operator.wrapup_mean_s"] = _mean((incidents.numpy("t_closed") - handled)[done])
    outcomes = _label_counts(incidents, "outcome", inside)
    for outcome in OUTCOMES:
        out[f"outcomes.{outcome}"] = outcomes.get(outcome, 0.0)
    return out


def incident_kind_counts(log: RunLog, chosen: np.ndarray) -> dict[str, float]:
    """Counts of the chosen incidents by ``incidents.{device_type}.{event}``, in order of first
    appearance."""
    kinds, kind_names = log.incidents.labels("device_type")
    events, event_names = log.incidents.labels("event")
    width = max(1, len(event_names))
    values, first, counts = np.unique(kinds[chosen] * width + events[chosen],
                                      return_index=True, return_counts=True)
    out: dict[str, float] = {}
    for i in np.argsort(first, kind="stable"):
        kind, event = divmod(int(values[i]), width)
        out[f"incidents.{kind_names[kind]}.{event_names[event]}"] = float(counts[i])
    return out


def answer_metrics(received: np.ndarray, answered: np.ndarray, horizon: float,
                   targets: Sequence[float]) -> dict[str, float]:
    """Answer-time statistics; unanswered incidents count against a target once older than it."""
    done = ~np.isnan(answered)
    waits = answered[done] - received[done]
    out = {
        "answer.mean_s": _mean(waits),
        "answer.p50_s": _percentile(waits, 50),
        "answer.p90_s": _percentile(waits, 90),
        "answer.p99_s": _percentile(waits, 99),
        "answer.max_s": float(waits.max()) if waits.size else float("nan"),
        "answer.p_wait": float(np.mean(waits > 0)) if waits.size else float("nan"),
    }
    for target in targets:
        out[f"answer.within_{format_duration(target)}"] = share_within(
            received, answered, horizon, target
        )
    return out


def share_within(start: np.ndarray, end: np.ndarray, horizon: float, target: float) -> float:
    """Share of items whose ``end - start`` is at most ``target``.

    Items without an end count as missed once ``horizon - start`` exceeds the target, and are
    left out while their outcome is still unknown.
    """
    done = ~np.isnan(end)
    met = done & ((end - start) <= target)
    known = done | ((horizon - start) > target)
    return float(met.sum() / known.sum()) if known.any() else float("nan")


def utilisation_metrics(scenario: Scenario, log: RunLog,
                        window: tuple[float, float]) -> dict[str, float]:
    """Busy share of operators per shift and of field workers per zone."""
    out: dict[str, float] = {}
    available = _available(log, "operators", window)
    busy: dict[str, float] = dict.fromkeys(available, 0.0)
    incidents = log.incidents
    busy_by_shift = _busy_time(incidents, "shift", incidents.numpy("t_answered"),
                               incidents.numpy("t_closed"), window)
    for shift, seconds in busy_by_shift.items():
        busy[shift] = busy.get(shift, 0.0) + seconds
    for shift in (s.name for s in scenario.centre.shifts):
        out[f"operators.utilisation.{shift}"] = _ratio(busy.get(shift, 0.0),
                                                       available.get(shift, 0.0))
    out["operators.utilisation.all"] = _ratio(sum(busy.values()), sum(available.values()))
    visits = log.visits
    spent = _busy_time(visits, "zone", visits.numpy("t_assigned"), visits.numpy("t_returned"),
                       window, ~visits.equals("worker", ""))
    for zone in scenario.zones:
        free = sum(_available(log, f"field.{zone.name}", window).values())
        out[f"field.utilisation.{zone.name}"] = _ratio(spent.get(zone.name, 0.0), free)
    return out


def _busy_time(table: RecordTable[Any], label: str, start: np.ndarray, end: np.ndarray,
               window: tuple[float, float], chosen: np.ndarray | None = None) -> dict[str, float]:
    """Busy seconds within the window by the values of a label column, leaving out records
    with an empty label or not ``chosen``; a task unfinished at the horizon is busy until it."""
    codes, names = table.labels(label)
    keep = np.ones(len(codes), dtype=bool) if chosen is None else chosen
    if "" in names:
        keep = keep & (codes != names.index(""))
    end = np.where(np.isnan(end), window[1], end)
    seconds = np.maximum(0.0, np.minimum(end, window[1]) - np.maximum(start, window[0]))
    # bincount adds the weights in record order, as a running sum does.
    totals = np.bincount(codes[keep], weights=seconds[keep], minlength=len(names))
    seen = np.bincount(codes[keep], minlength=len(names)) > 0
    return {names[i]: float(totals[i]) for i in range(len(names)) if seen[i]}


def visit_metrics(scenario: Scenario, log: RunLog,
                  window: tuple[float, float]) -> dict[str, float]:
    """Visits dispatched, their response times and targets met."""
    visits = log.visits
    alarm = visits.numpy("t_alarm")
    inside = _within(alarm, window)
    alarm = alarm[inside]
    arrived = visits.numpy("t_arrived")[inside]
    assigned = visits.numpy("t_assigned")[inside]
    requested = visits.numpy("t_requested")[inside]
    response = _defined(arrived - alarm)
    count = float(inside.sum())
    days = (window[1] - window[0]) / DAY
    out = {
        "visits.count": count,
        "visits.per_day": count / days,
        "visits.response_mean_s": _mean(response),
        "visits.response_p90_s": _percentile(response, 90),
        "visits.wait_for_worker_mean_s": _mean(_defined(assigned - requested)),
    }
    for target in scenario.targets.visit_within:
        out[f"visits.within_{format_duration(target)}"] = share_within(
            alarm, arrived, window[1], target
        )
    return out


def _available(log: RunLog, pool: str, window: tuple[float, float]) -> dict[str, float]:
    """Worker-seconds on duty within the window, by shift name."""
    out: dict[str, float] = {}
    for s in log.staffing:
        if s.pool == pool:
            out[s.shift] = out.get(s.shift, 0.0) + s.workers * _overlap(s.start, s.end, window)
    return out


def _within(times: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    """Which times fall in ``[start, end)`` of the window."""
    return (times >= window[0]) & (times < window[1])


def _label_counts(table: RecordTable[Any], label: str, chosen: np.ndarray) -> dict[Any, float]:
    """How many chosen records carry each value of a label column."""
    codes, names = table.labels(label)
    counts = np.bincount(codes[chosen], minlength=len(names))
    return {name: float(counts[i]) for i, name in enumerate(names)}


def _defined(values: np.ndarray) -> np.ndarray:
    """The values that are not NaN."""
    return np.asarray(values[~np.isnan(values)])


def _overlap(start: float, end: float, window: tuple[float, float]) -> float:
    return max(0.0, min(end, window[1]) - max(start, window[0]))


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole > 0 else float("nan")


def _mean(values: Iterable[float] | np.ndarray) -> float:
    array = np.fromiter(values, dtype=float) if not isinstance(values, np.ndarray) else values
    return float(array.mean()) if array.size else float("nan")


def _percentile(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) if values.size else float("nan")
