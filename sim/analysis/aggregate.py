"""Figures across replications: mean, confidence-interval half-width and every value.

The interval is Student's t over the replication values (each replication is one independent
observation), at 95 % unless asked otherwise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sim.model.member_metrics import REGION_METRICS
from sim.model.metrics import METRICS


@dataclass(frozen=True, slots=True)
class Figure:
    """One metric across replications."""

    key: str
    unit: str
    mean: float
    ci_half_width: float
    values: tuple[float, ...]

    @property
    def n(self) -> int:
        """Replications in which the figure is defined."""
        return sum(1 for v in self.values if not math.isnan(v))

    @property
    def low(self) -> float:
        """Lower end of the confidence interval."""
        return self.mean - self.ci_half_width

    @property
    def high(self) -> float:
        """Upper end of the confidence interval."""
        return self.mean + self.ci_half_width


def confidence_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """``(mean, half-width)`` of the Student t interval over the defined values."""
    data = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    if data.size == 0:
        return math.nan, math.nan
    mean = float(data.mean())
    if data.size < 2:
        return mean, math.nan
    sem = float(data.std(ddof=1)) / math.sqrt(data.size)
    return mean, t_quantile(0.5 + confidence / 2, data.size - 1) * sem


@lru_cache(maxsize=256)
def t_quantile(probability: float, degrees_of_freedom: int) -> float:
    """Student's t quantile; scipy loads on the first interval, not with this module."""
    from scipy import stats

    return float(stats.t.ppf(probability, degrees_of_freedom))


def aggregate(per_replication: Sequence[dict[str, float]], confidence: float = 0.95,
              unit: Callable[[str], str] | None = None) -> dict[str, Figure]:
    """Every metric key seen in any replication, in first-seen order.

    ``unit`` names the unit of a key; by default the simulation metrics' (:func:`unit_of`).
    """
    unit = unit or unit_of
    keys: dict[str, None] = {}
    for metrics in per_replication:
        keys.update(dict.fromkeys(metrics))
    figures = {}
    for key in keys:
        values = tuple(m.get(key, math.nan) for m in per_replication)
        mean, half = confidence_interval(values, confidence)
        figures[key] = Figure(key, unit(key), mean, half, values)
    return figures


def unit_of(key: str) -> str:
    """The documented unit of a metric key."""
    for pattern, unit in _patterns():
        if pattern.fullmatch(key):
            return unit
    if key.startswith("members.") and key.count(".") >= 2:
        return unit_of(key.split(".", 2)[2])  # a region member's figure: its scenario key
    return ""


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((key_pattern(spec.key), spec.unit) for spec in (*METRICS, *REGION_METRICS)
                 if "*" not in spec.key)


def key_pattern(template: str) -> re.Pattern[str]:
    """A documented key template (``answered.{shift}.share``) as a pattern of concrete keys."""
    return re.compile(re.sub(r"\\\{[a-z_]+\\\}", r"[^.]+", re.escape(template)))
