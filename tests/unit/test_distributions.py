"""Distributions: sample means and spreads against their analytic values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from sim.model.randomness import Streams
from sim.scenario.distributions import Distribution, Sampler
from sim.scenario.durations import format_duration, parse_duration

ADAPTER: TypeAdapter[Distribution] = TypeAdapter(Distribution)
N = 200_000


@pytest.mark.parametrize(
    ("spec", "mean", "sd"),
    [
        ({"kind": "constant", "value": 2, "unit": "min"}, 120.0, 0.0),
        ({"kind": "exponential", "mean": 180}, 180.0, 180.0),
        ({"kind": "lognormal", "mean": 3, "sd": 2, "unit": "min"}, 180.0, 120.0),
        ({"kind": "triangular", "low": 1, "mode": 2, "high": 6, "unit": "h"}, 3 * 3600.0,
         math.sqrt((1 + 4 + 36 - 2 - 6 - 12) / 18) * 3600),
        ({"kind": "uniform", "low": 10, "high": 30}, 20.0, 20 / math.sqrt(12)),
        ({"kind": "empirical", "values": [60, 120, 600], "weights": [3, 1, 1]}, 180.0,
         math.sqrt((3 * 60**2 + 120**2 + 600**2) / 5 - 180.0**2)),
    ],
)
def test_sample_mean_and_sd_match_theory(spec: dict[str, object], mean: float, sd: float) -> None:
    dist = ADAPTER.validate_python(spec)
    assert dist.mean == pytest.approx(mean)
    samples = dist.sample_many(np.random.default_rng(3), N)
    # 5 standard errors: fails only if the distribution is wrong.
    assert abs(samples.mean() - mean) <= 5 * sd / math.sqrt(N) + 1e-9
    assert samples.std() == pytest.approx(sd, rel=0.03, abs=1e-9)
    assert samples.min() >= 0


def test_sampler_is_reproducible_and_streams_are_independent_of_creation_order() -> None:
    dist = ADAPTER.validate_python({"kind": "exponential", "mean": 1})
    a = Streams(7, 0)
    first = [a.sampler("x", dist)() for _ in range(3)]
    b = Streams(7, 0)
    b.sampler("y", dist)()
    assert [b.sampler("x", dist)() for _ in range(3)] == first
    assert [Streams(7, 1).sampler("x", dist)() for _ in range(3)] != first
    sampler = Sampler(dist, np.random.default_rng(1), block=4)
    assert len({sampler() for _ in range(10)}) == 10


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "lognormal", "mean": 3},
        {"kind": "uniform", "low": 5, "high": 1},
        {"kind": "exponential", "mean": -1},
        {"kind": "empirical", "values": [1, 2], "weights": [1]},
        {"kind": "gamma", "shape": 2},
        {"kind": "constant", "value": 1, "unit": "years"},
    ],
)
def test_bad_parameters_are_rejected(spec: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ADAPTER.validate_python(spec)


def test_durations() -> None:
    assert parse_duration("90s") == 90 and parse_duration("15min") == 900
    assert parse_duration("2h") == 7200 and parse_duration("28d") == 28 * 86400
    assert parse_duration("1.5h") == 5400 and parse_duration(30) == 30.0
    for bad in ("ten minutes", "-5s", True, None, -1):
        with pytest.raises(ValueError):
            parse_duration(bad)
    assert [format_duration(s) for s in (20, 60, 180, 2700, 3600, 86400, 1.5)] == [
        "20s", "1min", "3min", "45min", "1h", "1d", "1.5s"]
