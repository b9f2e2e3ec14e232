"""The engine's variants for runs against the wall clock: emulation and training sessions.

Both keep the batch engine's clock and timers (:class:`sim.engine.core.Engine`), so the same
model code (fleet, sender, network) runs on any of them; only how time advances differs.
"""

from __future__ import annotations

import simpy.rt

from sim.engine.core import Engine


class RealtimeEngine(Engine, simpy.rt.RealtimeEnvironment):
    """Simulated time at a fixed multiple of real time (``vtsim emulate``): SimPy's own
    realtime stepping, which sleeps until each event is due.

    ``factor`` is real seconds per simulated second; with ``strict=False`` a step that falls
    behind is not an error (the run catches up).
    """

    def run_until(self, until: float) -> None:
        """Run until simulated time ``until``, paced by the wall clock."""
        self.run(until=until)


class PausableEngine(Engine):
    """Simulated time driven from outside (training sessions): the caller steps the engine up
    to a clock of its own, which may pause, resume and change speed while running (a realtime
    environment's factor cannot change mid-run and it cannot pause)."""

    def advance(self, until: float) -> int:
        """Process every event due at or before ``until``; the number processed."""
        steps = 0
        while self.peek() <= until:
            self.step()
            steps += 1
        return steps
