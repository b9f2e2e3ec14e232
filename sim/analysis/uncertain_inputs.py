"""Uncertain inputs of a probabilistic sensitivity analysis: a range and the shape of the
belief over it (uniform, triangular or PERT), turned into values by the inverse of the
cumulative distribution, so that a sample on the unit cube (such as Saltelli's) becomes a sample
of the inputs.

PERT is the default of the scenario file: a beta distribution on ``[low, high]`` with its mode
at the most likely value and shape parameters ``1 + 4 (mode - low) / (high - low)`` and
``1 + 4 (high - mode) / (high - low)``, the usual choice for expert estimates given as low,
most likely and high (mean ``(low + 4 mode + high) / 6``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Shape = Literal["uniform", "triangular", "pert"]
SHAPES: tuple[Shape, ...] = ("uniform", "triangular", "pert")
PERT_WEIGHT = 4.0
"""Weight of the mode in the PERT distribution (the classic 4)."""


@dataclass(frozen=True, slots=True)
class UncertainInput:
    """One input: its name, range, most likely value and shape."""

    name: str
    low: float
    high: float
    mode: float
    shape: Shape = "pert"

    def __post_init__(self) -> None:
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"{self.name}: the most likely value {self.mode:g} must lie "
                             f"between low {self.low:g} and high {self.high:g}")
        if self.shape not in SHAPES:
            raise ValueError(f"{self.name}: unknown shape {self.shape!r}; use "
                             f"{', '.join(SHAPES)}")

    @property
    def width(self) -> float:
        """``high - low``."""
        return self.high - self.low

    @property
    def mean(self) -> float:
        """The mean of the distribution."""
        if self.shape == "uniform":
            return (self.low + self.high) / 2
        if self.shape == "triangular":
            return (self.low + self.mode + self.high) / 3
        return (self.low + PERT_WEIGHT * self.mode + self.high) / (PERT_WEIGHT + 2)

    def quantile(self, unit: np.ndarray) -> np.ndarray:
        """Values at the probabilities ``unit`` (in [0, 1]): the inverse CDF."""
        from scipy import stats  # loaded when first drawn: checking a scenario needs none of it

        u = np.asarray(unit, dtype=float)
        if self.width == 0:
            return np.full(u.shape, self.low)
        if self.shape == "uniform":
            return self.low + u * self.width
        if self.shape == "triangular":
            c = (self.mode - self.low) / self.width
            return np.asarray(stats.triang.ppf(u, c, loc=self.low, scale=self.width))
        a, b = self.pert_shape
        return np.asarray(stats.beta.ppf(u, a, b, loc=self.low, scale=self.width))

    @property
    def pert_shape(self) -> tuple[float, float]:
        """The beta shape parameters of the PERT distribution."""
        left = (self.mode - self.low) / self.width
        return 1 + PERT_WEIGHT * left, 1 + PERT_WEIGHT * (1 - left)

    def describe(self) -> str:
        """``pert 1–5, most likely 3``."""
        return f"{self.shape} {self.low:g}–{self.high:g}, most likely {self.mode:g}"
