"""Break-even values a council can act on: impossible shares and far-off costs are marked so."""

from __future__ import annotations

import pytest

from reports.benefit.tables import break_even_verdict
from sim.benefit.economics import LEVERS, REALISTIC_FACTOR, reachable, realistic

BY_NAME = {lever.name: lever for lever in LEVERS}


@pytest.mark.parametrize("share", [18.209, 1.0001, -0.01])
def test_a_realised_share_outside_0_to_100_percent_is_impossible(share: float) -> None:
    lever = BY_NAME["gain_scale"]
    assert not reachable(lever, share) and not realistic(lever, share, 1.0)
    assert reachable(lever, 0.6) and realistic(lever, 0.6, 1.0)


@pytest.mark.parametrize(("value", "expected"), [
    (7520.0, False),  # 18 times the scenario's 413 kr
    (413.0 * REALISTIC_FACTOR + 1, False), (413.0 / REALISTIC_FACTOR - 1, False),
    (413.0 * REALISTIC_FACTOR, True), (272.0, True), (900.0, True)])
def test_a_cost_far_from_the_scenarios_value_is_not_realistic(value: float,
                                                               expected: bool) -> None:
    for name in ("hourly_cost", "operator_hourly_cost", "one_off"):
        lever = BY_NAME[name]
        assert reachable(lever, value)
        assert realistic(lever, value, 413.0) is expected, (name, value)


def test_the_table_says_impossible_or_unrealistic() -> None:
    item = {"break_even": 7520.0, "reachable": True, "realistic": False}
    assert break_even_verdict(item) == "no_unrealistic"
    assert break_even_verdict({**item, "reachable": False}) == "no_impossible"
    assert break_even_verdict({**item, "break_even": None}) == "no_impossible"
    assert break_even_verdict({**item, "realistic": True}) == "yes"


def test_device_names_in_a_bokmal_sentence_keep_abbreviations() -> None:
    from reports.benefit.assumptions import in_sentence, profile_name

    name = profile_name({"devices": ["gps_tracker", "safety_alarm"]}, "nb")
    assert name.startswith("brukere med GPS") and "gps" not in name
    assert "trygghetsalarm" in name
    assert in_sentence("Medisindispenser") == "medisindispenser"
