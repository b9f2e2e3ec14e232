"""The time change behind Poisson arrivals: cumulative rate and its inverse."""

from __future__ import annotations

import warnings

import numpy as np

from sim.model.arrivals import DailyIntensity

HOUR = 3600.0


def test_invert_undoes_the_cumulative_rate_across_days() -> None:
    rates = [0.0] * 6 + [0.002 * (h + 1) for h in range(18)]  # no events 00-06
    intensity = DailyIntensity(rates)
    times = np.array([6.5 * HOUR, 13 * HOUR + 17.0, 86400.0 * 3 + 23.9 * HOUR])
    s = np.array([intensity.cumulative(float(t)) for t in times])
    assert np.allclose(intensity.invert(s), times, rtol=0, atol=1e-6)


def test_a_vanishing_rate_puts_arrivals_at_infinity_without_warnings() -> None:
    intensity = DailyIntensity([1e-320] * 24)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        times = intensity.invert(np.array([0.5, 3.0]))
    assert np.isinf(times).all()
