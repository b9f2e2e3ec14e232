"""Named random streams: one numpy ``Generator`` per source of randomness.

Each stream is derived from the master seed, the replication number and the stream's *name*, not
from the order in which streams are created. So the baseline and the technology arm of a
comparison share their common sources (common random numbers), and adding a device kind to a
scenario does not shift the numbers any other source draws.
"""

from __future__ import annotations

import hashlib

import numpy as np

from sim.scenario.distributions import Sampler, _Distribution


def stream_key(name: str) -> tuple[int, ...]:
    """A stable tuple of 32-bit words identifying a stream name (independent of PYTHONHASHSEED)."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


class Streams:
    """The random streams of one replication."""

    def __init__(self, seed: int, replication: int, namespace: str = "") -> None:
        self.seed = seed
        self.replication = replication
        self.namespace = namespace
        """Prefixed to every stream name (``lier/fleet``): a region's members draw from streams
        of their own, the same whether they share a centre or run their own."""

    def generator(self, name: str) -> np.random.Generator:
        """A fresh generator for the named source; the same name always gives the same numbers."""
        if self.namespace:
            name = f"{self.namespace}/{name}"
        sequence = np.random.SeedSequence(
            entropy=self.seed, spawn_key=(self.replication, *stream_key(name))
        )
        return np.random.Generator(np.random.PCG64(sequence))

    def sampler(self, name: str, dist: _Distribution) -> Sampler:
        """A buffered sampler of ``dist`` on its own named stream."""
        return Sampler(dist, self.generator(name))

    def uniform(self, name: str) -> Sampler:
        """A buffered sampler of U(0, 1) on its own named stream."""
        return Sampler(_UNIT_UNIFORM, self.generator(name))


class _UnitUniform(_Distribution):
    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.random(n)

    @property
    def mean(self) -> float:
        return 0.5


_UNIT_UNIFORM = _UnitUniform()
