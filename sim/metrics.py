"""Measurements of one replication, computed from its records only.

Every figure is measured over the window ``[warmup, horizon)``: messages and incidents by the time
they reached the centre, visits by the time of their alarm. Metric keys are stable and documented
in ``docs/metrics.md`` (generated from :data:`METRICS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.durations import format_duration
from sim.records import PLACES, RunLog
from sim.scenario import OUTCOMES, Scenario

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
    places = [m.place for m in log.messages if window[0] <= m.t_received < window[1]]
    out = {"messages.received": float(len(places))}
    for place in PLACES:
        out[f"messages.{place}"] = float(places.count(place))
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
    rows = [r for r in log.incidents if window[0] <= r.t_received < window[1]]
    days = (window[1] - window[0]) / DAY
    out = {"incidents.count": float(len(rows)), "incidents.per_day": len(rows) / days}
    for kind, device in scenario.devices.items():
        for event in device.events:
            out[f"incidents.{kind}.{event}"] = 0.0
    for r in rows:
        key = f"incidents.{r.device_type}.{r.event}"
        out[key] = out.get(key, 0.0) + 1
    out["incidents.open_at_horizon"] = float(sum(r.state != "closed" for r in rows))
    received = np.array([r.t_received for r in rows], dtype=float)
    answered = np.array([r.t_answered for r in rows], dtype=float)
    out.update(answer_metrics(received, answered, window[1], scenario.targets.answer_within))
    for p in range(1, 6):
        waits = [r.t_answered - r.t_received for r in rows if r.priority == p]
        out[f"answer.priority_{p}.mean_s"] = _mean(w for w in waits if not np.isnan(w))
    out["operator.handling_mean_s"] = _mean(r.t_handled - r.t_answered for r in rows
                                            if r.state == "closed")
    out["operator.wrapup_mean_s"] = _mean(r.t_closed - r.t_handled for r in rows
                                          if r.state == "closed")
    for outcome in OUTCOMES:
        out[f"outcomes.{outcome}"] = float(sum(r.outcome == outcome for r in rows))
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
    for r in log.incidents:
        if r.shift:
            end = window[1] if np.isnan(r.t_closed) else r.t_closed
            busy[r.shift] = busy.get(r.shift, 0.0) + _overlap(r.t_answered, end, window)
    for shift in (s.name for s in scenario.centre.shifts):
        out[f"operators.utilisation.{shift}"] = _ratio(busy.get(shift, 0.0),
                                                       available.get(shift, 0.0))
    out["operators.utilisation.all"] = _ratio(sum(busy.values()), sum(available.values()))
    for zone in scenario.zones:
        free = sum(_available(log, f"field.{zone.name}", window).values())
        spent = 0.0
        for v in log.visits:
            if v.zone == zone.name and v.worker:
                end = window[1] if np.isnan(v.t_returned) else v.t_returned
                spent += _overlap(v.t_assigned, end, window)
        out[f"field.utilisation.{zone.name}"] = _ratio(spent, free)
    return out


def visit_metrics(scenario: Scenario, log: RunLog,
                  window: tuple[float, float]) -> dict[str, float]:
    """Visits dispatched, their response times and targets met."""
    rows = [v for v in log.visits if window[0] <= v.t_alarm < window[1]]
    days = (window[1] - window[0]) / DAY
    alarm = np.array([v.t_alarm for v in rows], dtype=float)
    arrived = np.array([v.t_arrived for v in rows], dtype=float)
    response = (arrived - alarm)[~np.isnan(arrived)]
    out = {
        "visits.count": float(len(rows)),
        "visits.per_day": len(rows) / days,
        "visits.response_mean_s": _mean(response),
        "visits.response_p90_s": _percentile(response, 90),
        "visits.wait_for_worker_mean_s": _mean(
            v.t_assigned - v.t_requested for v in rows if not np.isnan(v.t_assigned)
        ),
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


def _overlap(start: float, end: float, window: tuple[float, float]) -> float:
    return max(0.0, min(end, window[1]) - max(start, window[0]))


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole > 0 else float("nan")


def _mean(values: Iterable[float] | np.ndarray) -> float:
    array = np.fromiter(values, dtype=float) if not isinstance(values, np.ndarray) else values
    return float(array.mean()) if array.size else float("nan")


def _percentile(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) if values.size else float("nan")
