"""Duration distributions for scenarios: each has ``sample_many(rng, n)`` and an analytic ``mean``.

All distributions describe durations. Parameters are given in ``unit`` (s, min, h or d; seconds by
default) and every sample and mean is returned in seconds, the simulation's time unit.
"""

from __future__ import annotations

import itertools
import math
from functools import partial
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

TimeUnit = Literal["s", "min", "h", "d"]
SECONDS_PER: dict[str, float] = {"s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


class _Distribution(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: TimeUnit = Field("s", description="Unit of the parameters: s, min, h or d.")

    @property
    def scale(self) -> float:
        """Seconds per unit of the parameters."""
        return SECONDS_PER[self.unit]

    @property
    def mean(self) -> float:
        """Analytic mean in seconds."""
        raise NotImplementedError

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` independent samples in seconds."""
        raise NotImplementedError


class Constant(_Distribution):
    """Always the same value."""

    kind: Literal["constant"] = "constant"
    value: float = Field(ge=0, description="The value.")

    @property
    def mean(self) -> float:
        return self.value * self.scale

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value * self.scale)


class Exponential(_Distribution):
    """Exponential with the given mean (memoryless; the M in M/M/c)."""

    kind: Literal["exponential"] = "exponential"
    mean_value: float = Field(gt=0, alias="mean", description="Mean.")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def mean(self) -> float:
        return self.mean_value * self.scale

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean, n)


class LogNormal(_Distribution):
    """Lognormal given by its own mean and standard deviation (not those of the log)."""

    kind: Literal["lognormal"] = "lognormal"
    mean_value: float = Field(gt=0, alias="mean", description="Mean of the distribution.")
    sd: float = Field(gt=0, description="Standard deviation of the distribution.")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def mean(self) -> float:
        return self.mean_value * self.scale

    def log_parameters(self) -> tuple[float, float]:
        """``(mu, sigma)`` of the underlying normal, in log-seconds."""
        sigma2 = math.log1p((self.sd / self.mean_value) ** 2)
        return math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2)

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        mu, sigma = self.log_parameters()
        return rng.lognormal(mu, sigma, n)


class Triangular(_Distribution):
    """Triangular between ``low`` and ``high`` with its peak at ``mode``."""

    kind: Literal["triangular"] = "triangular"
    low: float = Field(ge=0)
    mode: float = Field(ge=0)
    high: float = Field(gt=0)

    @model_validator(mode="after")
    def _check_order(self) -> Triangular:
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError("needs low <= mode <= high and low < high")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3 * self.scale

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        s = self.scale
        return rng.triangular(self.low * s, self.mode * s, self.high * s, n)


class Uniform(_Distribution):
    """Uniform between ``low`` and ``high``."""

    kind: Literal["uniform"] = "uniform"
    low: float = Field(ge=0)
    high: float = Field(gt=0)

    @model_validator(mode="after")
    def _check_order(self) -> Uniform:
        if self.low >= self.high:
            raise ValueError("needs low < high")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2 * self.scale

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low * self.scale, self.high * self.scale, n)


class Empirical(_Distribution):
    """Observed values, drawn with equal or the given weights (e.g. measured handling times)."""

    kind: Literal["empirical"] = "empirical"
    values: tuple[float, ...] = Field(min_length=1)
    weights: tuple[float, ...] | None = None

    @model_validator(mode="after")
    def _check_values(self) -> Empirical:
        if any(v < 0 for v in self.values):
            raise ValueError("durations cannot be negative")
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError("weights must have one entry per value")
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be non-negative with a positive sum")
        return self

    def probabilities(self) -> np.ndarray:
        """Normalised weights (equal when none are given)."""
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights)
        return np.asarray(w / w.sum())

    @property
    def mean(self) -> float:
        return float(np.dot(self.values, self.probabilities())) * self.scale

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        values = np.asarray(self.values) * self.scale
        return rng.choice(values, size=n, p=self.probabilities())


Distribution = Annotated[
    Constant | Exponential | LogNormal | Triangular | Uniform | Empirical,
    Field(discriminator="kind"),
]


class Sampler(partial[float]):
    """Draws from one distribution with one generator, a block at a time (fast, reproducible).

    Each sampler owns its generator: two samplers never share one, so a change in how often one
    source is used does not shift the numbers of another (common random numbers).

    Calling a sampler takes the next value of the current block; the call runs in C (it is a
    ``functools.partial`` of ``next`` over a chain of blocks), and Python code runs only to draw
    the next block.
    """

    def __new__(cls, dist: _Distribution, rng: np.random.Generator, block: int = 256) -> Sampler:
        def draw_block() -> list[float]:
            return dist.sample_many(rng, block).tolist()  # type: ignore[no-any-return]

        values = itertools.chain.from_iterable(iter(draw_block, None))
        return super().__new__(cls, next, values)
