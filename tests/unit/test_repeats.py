"""A press is repeated while its alarm waits, whether or not its check is set aside meanwhile."""

from __future__ import annotations

from typing import Any

import pytest

from sim.model.records import RunLog
from sim.model.sending import Sender, WaitingNotice
from sim.run.replication import run_replication
from tests.scenario_factory import tiny


def busy_alarms(latency: dict[str, Any]) -> Any:
    """Thirty safety alarms pressed often at one operator: many wait, many are answered at once."""
    return tiny(
        horizon="3d",
        users=[{"name": "u", "count": 30, "devices": ["safety_alarm"]}],
        devices={"safety_alarm": {"events": {"button_need": {
            "rate_per_day": 20.0,
            "repeat": {"probability": 0.7, "after": {"kind": "exponential", "mean": 90},
                       "max": 3},
        }}}},
        transport={"latency": latency},
    )


def every_check_on_the_clock(sender: Sender) -> WaitingNotice:
    """The centre's notices are heard, but every repeat check is put on the clock at once."""
    return sender.incident_waiting


def records(log: RunLog) -> tuple[list[Any], list[Any]]:
    """Incident and message records of a run."""
    log.pack()
    return list(log.incidents), list(log.messages)


@pytest.mark.parametrize("latency", [
    {"kind": "constant", "value": 0},
    {"kind": "lognormal", "mean": 1.5, "sd": 1, "unit": "s"},
])
def test_setting_checks_aside_changes_no_record(latency: dict[str, Any],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = busy_alarms(latency)
    set_aside = records(run_replication(scenario, 3, 0))
    monkeypatch.setattr(Sender, "waiting_notices", every_check_on_the_clock)
    all_on_clock = records(run_replication(scenario, 3, 0))
    incidents, messages = set_aside
    places = [m.place for m in messages]
    waited = [i for i in incidents if i.t_answered > i.t_received]
    assert places.count("correlated") > 20, "the scenario must make repeats"
    assert 0 < len(waited) < len(incidents), "some alarms must wait and some must not"
    assert repr(set_aside) == repr(all_on_clock)  # by text: unanswered times are NaN
