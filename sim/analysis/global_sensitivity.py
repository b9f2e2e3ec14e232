"""Global sensitivity analysis: Saltelli's sampling design and Sobol' indices (with SALib), and
the distribution of an outcome over the sample.

The design is drawn on the unit cube (scrambled Sobol' sequence, seeded) and mapped to each
input's own distribution by its inverse CDF (:mod:`sim.analysis.uncertain_inputs`); Sobol'
indices depend on the outcomes only, so they hold for the mapped inputs. Without second-order
indices the design has ``N (D + 2)`` rows for ``D`` inputs and a base size ``N``: in each block
of ``D + 2`` rows the first is a row of matrix A, the last a row of matrix B (independent of
A), and the others are A with one column from B. The outcome distribution is read from the A
and B rows, ``2 N`` independent draws of all inputs together.

SALib is imported only when a design is drawn or analysed, so commands that do not use it do
not load it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

PERCENTILES = (10.0, 50.0, 90.0)
CONSTANT = 1e-12
"""Outcomes whose spread is below this share of their size are constant (rounding only)."""


@dataclass(frozen=True)
class SaltelliDesign:
    """A Saltelli design on the unit cube: one column per input, ``N (D + 2)`` rows."""

    names: tuple[str, ...]
    base_size: int
    unit: np.ndarray

    @property
    def dimensions(self) -> int:
        """Inputs (``D``)."""
        return len(self.names)

    @property
    def rows(self) -> int:
        """Model evaluations the design needs."""
        return int(self.unit.shape[0])

    def independent_rows(self) -> np.ndarray:
        """Indices of the rows of A and B: ``2 N`` independent draws of every input."""
        block = self.dimensions + 2
        starts = np.arange(self.base_size) * block
        return np.sort(np.concatenate([starts, starts + block - 1]))

    def problem(self) -> dict[str, Any]:
        """The SALib problem: every input on [0, 1]."""
        return {"num_vars": self.dimensions, "names": list(self.names),
                "bounds": [[0.0, 1.0]] * self.dimensions}


def check_base_size(base_size: int) -> None:
    """Sobol' sequences keep their balance at powers of two: 2, 4, 8, …"""
    if base_size < 2 or base_size & (base_size - 1):
        raise ValueError(f"the base sample size must be a power of two (2, 4, 8, …), not "
                         f"{base_size}")


def saltelli_design(names: Sequence[str], base_size: int, seed: int) -> SaltelliDesign:
    """Saltelli's design for first- and total-order indices (``base_size`` a power of two)."""
    check_base_size(base_size)
    if not names:
        raise ValueError("a sensitivity analysis needs at least one input")
    from SALib.sample import sobol as sobol_sample

    design = SaltelliDesign(tuple(names), base_size, np.zeros((0, len(names))))
    unit = sobol_sample.sample(design.problem(), base_size, calc_second_order=False,
                               scramble=True, seed=seed)
    return SaltelliDesign(tuple(names), base_size, np.asarray(unit, dtype=float))


@dataclass(frozen=True, slots=True)
class SobolIndex:
    """First-order and total Sobol' index of one input, with the half-widths of their
    bootstrap confidence intervals."""

    name: str
    first: float
    first_conf: float
    total: float
    total_conf: float


def sobol_indices(design: SaltelliDesign, outcomes: np.ndarray, seed: int,
                  confidence: float = 0.95, resamples: int = 200) -> list[SobolIndex]:
    """Sobol' indices of every input from the outcomes of the design's rows; all zero when the
    outcome does not vary (beyond rounding)."""
    y = np.asarray(outcomes, dtype=float)
    if y.shape != (design.rows,):
        raise ValueError(f"expected {design.rows} outcomes, got {y.shape}")
    if float(np.ptp(y)) <= CONSTANT * max(1.0, float(np.abs(y).max())):
        return [SobolIndex(name, 0.0, 0.0, 0.0, 0.0) for name in design.names]
    from SALib.analyze import sobol as sobol_analyze

    result = sobol_analyze.analyze(design.problem(), y, calc_second_order=False,
                                   num_resamples=resamples, conf_level=confidence, seed=seed)
    return [SobolIndex(name, float(result["S1"][i]), float(result["S1_conf"][i]),
                       float(result["ST"][i]), float(result["ST_conf"][i]))
            for i, name in enumerate(design.names)]


def ranked(indices: Sequence[SobolIndex]) -> list[SobolIndex]:
    """Most influential first: by total index, then first-order index."""
    return sorted(indices, key=lambda s: (-s.total, -s.first, s.name))


@dataclass(frozen=True, slots=True)
class OutcomeDistribution:
    """An outcome over the draws: mean, P10, P50, P90 and the probability it is negative."""

    n: int
    mean: float
    p10: float
    p50: float
    p90: float
    p_negative: float
    minimum: float
    maximum: float


def describe_outcomes(values: np.ndarray) -> OutcomeDistribution:
    """The distribution of outcome draws (percentiles by linear interpolation)."""
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    if data.size == 0:
        nan = math.nan
        return OutcomeDistribution(0, nan, nan, nan, nan, nan, nan, nan)
    p10, p50, p90 = (float(v) for v in np.percentile(data, PERCENTILES))
    return OutcomeDistribution(int(data.size), float(data.mean()), p10, p50, p90,
                               float((data < 0).mean()), float(data.min()), float(data.max()))
