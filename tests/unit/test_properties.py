"""Properties that hold for any scenario: no negative waits, every message ends in exactly one
place, and every incident is either completed or still in progress at the horizon."""

from __future__ import annotations

import math
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.transport.base import InProcessTransport
from sim.model.records import PLACES
from sim.run.replication import run_replication
from tests.scenario_factory import BASE, tiny

distributions = st.one_of(
    st.builds(lambda v: {"kind": "constant", "value": v}, st.floats(0, 600)),
    st.builds(lambda m: {"kind": "exponential", "mean": m}, st.floats(1, 600)),
    st.builds(lambda m, s: {"kind": "lognormal", "mean": m, "sd": s},
              st.floats(1, 600), st.floats(1, 600)),
    st.builds(lambda lo, w: {"kind": "uniform", "low": lo, "high": lo + w},
              st.floats(0, 300), st.floats(1, 300)),
)


@st.composite
def scenarios(draw: st.DrawFn) -> object:
    outcomes = draw(st.sampled_from([
        {"resolved_remotely": 1.0},
        {"home_visit": 1.0},
        {"home_visit": 0.5, "relatives_called": 0.3, "emergency_services": 0.2},
    ]))
    centre = {
        **BASE["centre"],
        "shifts": [
            {"name": "day", "start": "07:00", "end": "15:00",
             "operators": draw(st.integers(0, 3))},
            {"name": "rest", "start": "15:00", "end": "07:00",
             "operators": draw(st.integers(0, 2))},
        ],
        "correlation_window": draw(st.sampled_from([0, 60, 600])),
        "defaults": {"handling": draw(distributions), "wrapup": draw(distributions),
                     "outcomes": outcomes},
    }
    repeat = {"probability": draw(st.floats(0, 1)), "after": draw(distributions), "max": 2}
    events = {
        "button_need": {"rate_per_day": draw(st.floats(0.5, 30)), "repeat": repeat},
        "fall_detected": {"rate_per_day": draw(st.floats(0, 5))},
        "heartbeat": {"interval": "6h"},
    }
    return tiny(
        horizon=draw(st.sampled_from(["6h", "1d"])),
        warmup=0,
        users=[{"name": "u", "count": draw(st.integers(1, 8)), "devices": ["safety_alarm"]}],
        zones=[{"name": "z", "field_staff": {"day": draw(st.integers(0, 2)), "rest": 1},
                "travel_time": draw(distributions)}],
        devices={"safety_alarm": {"events": events}},
        centre=centre,
        transport={
            "duplicate_probability": draw(st.floats(0, 0.3)),
            "malformed_probability": draw(st.floats(0, 0.3)),
        },
        telemetry="simulate",
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_model_invariants(scenario, seed) -> None:  # type: ignore[no-untyped-def]
    transport = InProcessTransport()
    log = run_replication(scenario, seed, 0, transport=transport)

    # Every message published reached the centre and ended in exactly one place.
    assert len(log.messages) == transport.published
    places = Counter(m.place for m in log.messages)
    assert set(places) <= set(PLACES)
    assert places["info"] > 0 or scenario.horizon < 6 * 3600 + 1

    # Each incident was opened by one message; the others joined it.
    assert places["incident"] == len(log.incidents)
    assert places["correlated"] == sum(r.messages - 1 for r in log.incidents)
    assert len({r.incident_id for r in log.incidents}) == len(log.incidents)

    # Arrivals = completed + still in progress at the horizon.
    states = Counter(r.state for r in log.incidents)
    assert set(states) <= {"closed", "in_progress", "waiting"}
    assert states["closed"] + states["in_progress"] + states["waiting"] == len(log.incidents)

    for r in log.incidents:
        assert r.t_received <= scenario.horizon
        if r.state == "waiting":
            assert math.isnan(r.t_answered)
            continue
        assert r.t_answered >= r.t_received  # no negative waits
        if r.state == "closed":
            assert r.t_received <= r.t_answered <= r.t_handled <= r.t_closed
            assert r.outcome in scenario.centre.defaults.outcomes

    visits_expected = sum(r.outcome == "home_visit" for r in log.incidents)
    assert len(log.visits) == visits_expected
    for v in log.visits:
        times = [v.t_alarm, v.t_requested, v.t_assigned, v.t_arrived, v.t_departed, v.t_returned]
        known = [t for t in times if not math.isnan(t)]
        assert known == sorted(known)
        assert (v.state == "done") == (not math.isnan(v.t_returned))
