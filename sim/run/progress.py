"""Progress within replications, passed from the processes that run them to the one showing it.

A replication reports the simulated time it has reached once a simulated day
(:func:`sim.run.replication.report_days`); :class:`DayReporter` passes a report on at most every
:data:`REPORT_EVERY` wall seconds, so that a fast replication sends a handful of reports, not
one per day, and a slow one (a long horizon, a large region) shows its days going by. Reports
travel through a :class:`ProgressSink`: a queue shared with worker processes, or a direct call
in the process itself.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

REPORT_EVERY = 0.25
"""Shortest wall time, in seconds, between two progress reports of one replication."""

ProgressCallback = Callable[[int, float], None]
"""``(replication index, simulated seconds reached)``."""


class ProgressSink(Protocol):
    """Where progress reports go (a ``queue.Queue``, a manager's queue proxy)."""

    def put(self, item: tuple[int, float]) -> None:
        """Take one report."""


@dataclass(frozen=True, slots=True)
class DirectSink:
    """Reports handed straight to a callback (replications run in this process)."""

    callback: ProgressCallback

    def put(self, item: tuple[int, float]) -> None:
        """Pass the report on."""
        self.callback(*item)


@dataclass(slots=True)
class DayReporter:
    """The ``on_day`` of one replication: reports the simulated time, at most every
    ``every`` wall seconds."""

    index: int
    sink: ProgressSink
    every: float = REPORT_EVERY
    last: float = field(default=-math.inf)

    def __call__(self, now: float) -> None:
        """One simulated day has passed; report it if the last report is old enough."""
        wall = time.monotonic()
        if wall - self.last >= self.every:
            self.last = wall
            self.sink.put((self.index, now))
