"""An incident's outcome is drawn by its cumulative chances: each draw to the right outcome."""

from __future__ import annotations

from functools import partial
from typing import cast

import pytest

from sim.model.centre import IncidentPolicy
from sim.model.randomness import Streams
from sim.scenario.distributions import Constant, Sampler


def policy_drawing(draws: list[float], outcomes: tuple[str, ...],
                   cumulative: tuple[float, ...]) -> IncidentPolicy:
    """A policy whose uniform draws are ``draws``, in order."""
    fixed = Sampler(Constant(value=0.0), Streams(1, 0).generator("unused"))
    return IncidentPolicy(priority=1, handling=fixed, wrapup=fixed, outcomes=outcomes,
                          cumulative=cumulative, choose=cast(Sampler, partial(next, iter(draws))))


@pytest.mark.parametrize(("u", "expected"), [
    (0.0, "resolved_remotely"), (0.3999, "resolved_remotely"), (0.4, "relative_contacted"),
    (0.85, "home_visit"), (0.9999999, "home_visit"),
    (0.99999999999, "home_visit"),  # above the last edge (rounded below 1): the last outcome
])
def test_each_draw_goes_to_the_outcome_whose_edge_lies_above_it(u: float, expected: str) -> None:
    policy = policy_drawing([u], ("resolved_remotely", "relative_contacted", "home_visit"),
                            (0.4, 0.85 - 1e-12, 0.9999999999))
    assert policy.draw_outcome() == expected


def test_a_single_outcome_needs_no_draw() -> None:
    policy = policy_drawing([], ("false_alarm",), (1.0,))
    assert policy.draw_outcome() == "false_alarm"
