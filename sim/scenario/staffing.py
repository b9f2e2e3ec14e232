"""The staffing a scenario describes: how many operators are on duty at each time of day.

A pure reading of the scenario's shifts, used to check it (at least two on duty), to size a
centre and to cost it; the simulated shifts themselves are in :mod:`sim.model.shifts`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from sim.scenario.schema import Shift

DAY = 86400.0


def operators_on_duty(shifts: Sequence[Shift]) -> list[tuple[float, float, int]]:
    """Segments ``(start, end, operators)`` covering one day, seconds after midnight."""
    points = {0.0, DAY}
    for shift in shifts:
        points.add(shift.start_s % DAY)
        points.add((shift.start_s + shift.length_s) % DAY)
    edges = sorted(points)
    segments: list[tuple[float, float, int]] = []
    for start, end in itertools.pairwise(edges):
        count = sum(s.operators for s in shifts if covers(s, (start + end) / 2))
        if segments and segments[-1][2] == count:
            segments[-1] = (segments[-1][0], end, count)
        else:
            segments.append((start, end, count))
    return segments


def covers(shift: Shift, clock: float) -> bool:
    """Whether ``shift`` is on duty at ``clock`` seconds after midnight."""
    offset = (clock - shift.start_s) % DAY
    return offset < shift.length_s
