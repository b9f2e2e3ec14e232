"""The resend rule: exponential waits, capped, with jitter that spreads devices apart."""

from __future__ import annotations

import random
import statistics

import pytest

from devices.contract.resend import DEFAULT_RESEND, ResendPolicy


def test_the_waits_double_up_to_the_cap() -> None:
    rule = ResendPolicy(first_s=5, factor=2, max_s=60, jitter=0.0)
    assert [rule.ceiling(n) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]
    assert rule.wait(3, random.Random(1).random) == 20.0
    assert rule.ceiling(10_000) == 60  # no overflow however long a device waits


def test_jitter_spreads_the_waits_uniformly_within_its_band() -> None:
    rng = random.Random(7)
    waits = [DEFAULT_RESEND.wait(2, rng.random) for _ in range(20_000)]
    assert min(waits) >= 5.0 and max(waits) <= 10.0
    # uniform on [5, 10]: mean 7.5, standard deviation 5 / sqrt(12); the mean of 20,000 draws
    # lies within 4 standard errors of 7.5
    assert abs(statistics.fmean(waits) - 7.5) < 4 * (5 / 12 ** 0.5) / 20_000 ** 0.5
    assert statistics.pstdev(waits) == pytest.approx(5 / 12 ** 0.5, rel=0.03)


@pytest.mark.parametrize("bad", [{"first_s": 0}, {"factor": 0.5}, {"max_s": 1},
                                 {"jitter": 1.5}])
def test_a_rule_that_would_flood_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="resend rule"):
        ResendPolicy(**bad)
