"""The simulation engine: SimPy environments with fast timers and loop, in one place.

Only this package touches SimPy's private attributes. :class:`Engine` runs batch
replications; :class:`RealtimeEngine` (emulation) and :class:`PausableEngine` (training) are
the same engine paced by the wall clock. :func:`quiet_collector` keeps the garbage collector
out of a run's way, safely for runs in several threads.
"""

from sim.engine.collector import RUN_GC_THRESHOLD, quiet_collector
from sim.engine.core import Engine
from sim.engine.realtime import PausableEngine, RealtimeEngine
from sim.engine.timers import Due, TimerCallback, new_timer

__all__ = [
    "RUN_GC_THRESHOLD",
    "Due",
    "Engine",
    "PausableEngine",
    "RealtimeEngine",
    "TimerCallback",
    "new_timer",
    "quiet_collector",
]
