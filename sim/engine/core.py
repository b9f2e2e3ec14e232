"""The batch engine: SimPy's environment with cheap timers and its event loop in one frame.

This package (:mod:`sim.engine`) is the only place that touches SimPy's private attributes
(``_queue``, ``_eid``, ``_now``, ``_ok``, ``_value``, ``_defused``); a test checks that no other
module of the project does. They are SimPy 4.1's: ``pyproject.toml`` bounds simpy to the
versions the engine's tests have run on, and CI runs those tests on the lowest and the highest.

:class:`Engine` differs from :class:`simpy.Environment` in three ways, none of which changes
the order in which events are processed:

- ``now`` is a plain attribute rather than a property, so the model reads the clock without a
  call (SimPy's own code still reads and writes ``_now``, which here stands for ``now``);
- timers (:meth:`Engine.at_delay` and kin) go on the queue as already-triggered one-slot
  objects (:class:`sim.engine.timers.Due`), without SimPy's constructors, exactly where a
  :class:`simpy.Timeout` would go;
- :meth:`Engine.run_until` is ``run(until=...)`` with the loop written out in one frame.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush

import simpy
from simpy.events import NORMAL, URGENT, Timeout

from sim.engine.timers import Due, TimerCallback, new_timer


class Engine(simpy.Environment):
    """A :class:`simpy.Environment` with fast timers and a fast loop (batch runs)."""

    now: float = 0.0
    """Simulated seconds: a plain attribute in place of SimPy's read-only property."""

    @property
    def _now(self) -> float:
        """SimPy's name for the clock, for SimPy's own code (``schedule``, ``step``)."""
        return self.now

    @_now.setter
    def _now(self, value: float) -> None:
        self.now = value

    # timers -----------------------------------------------------------------------------
    def at_delay(self, delay: float, callback: TimerCallback) -> None:
        """Call ``callback(timer)`` once ``delay`` simulated seconds from now.

        The cheapest timer: one event and no wrapper, queued exactly as a
        ``Timeout(env, delay)`` would be (same time, priority and insertion order). Keep
        ``callback`` (e.g. a bound method) in an attribute to avoid making a new one per call.
        """
        if delay < 0:
            raise ValueError(f"a timer cannot be set {-delay} s in the past")
        timer: Due = new_timer(Due)
        timer.callbacks = [callback]
        # as queue_timer, written out: one call fewer on the model's commonest path
        heappush(self._queue, (self.now + delay, NORMAL, next(self._eid), timer))  # type: ignore[misc]

    def queue_timer(self, delay: float, timer: Due) -> None:
        """Put a timer made by the caller (a :class:`Due`, or a subclass carrying data, with
        its ``callbacks`` set) on the queue, due ``delay`` simulated seconds from now: exactly
        where a ``Timeout(env, delay)`` would go (same time, priority and insertion order)."""
        if delay < 0:
            raise ValueError(f"a timer cannot be set {-delay} s in the past")
        heappush(self._queue, (self.now + delay, NORMAL, next(self._eid), timer))  # type: ignore[misc]

    def at_time(self, when: float, callback: TimerCallback) -> None:
        """Call ``callback(timer)`` at simulated time ``when`` (now or later), as
        :meth:`at_delay`.

        For a moment worked out earlier: ``at_time(t0 + d, f)`` made later fires exactly when
        ``at_delay(d, f)`` made at ``t0`` would have.
        """
        if when < self.now:
            raise ValueError(f"a timer cannot be set {self.now - when} s in the past")
        timer: Due = new_timer(Due)
        timer.callbacks = [callback]
        heappush(self._queue, (when, NORMAL, next(self._eid), timer))  # type: ignore[misc]

    def at_delay_first(self, delay: float, callback: TimerCallback) -> None:
        """Like :meth:`at_delay`, but before the ordinary events due at the same moment."""
        self.schedule(self.triggered(callback), URGENT, delay)

    def call_after(self, delay: float, action: Callable[[], None]) -> None:
        """Run ``action`` once ``delay`` simulated seconds from now (a SimPy timeout)."""
        Timeout(self, delay).callbacks.append(lambda _event: action())

    def triggered(self, callback: TimerCallback | None = None) -> simpy.Event:
        """A SimPy event that has already succeeded (with None), not yet on the queue, as
        SimPy itself makes the event that ends ``run``; ``callback`` is called when it is
        processed."""
        event = simpy.Event(self)
        event._ok = True
        event._value = None
        if callback is not None:
            event.callbacks.append(callback)
        return event

    # the loop ---------------------------------------------------------------------------
    def run_until(self, until: float) -> None:
        """``run(until=until)``, with SimPy's event loop written out in one frame.

        Processes events in the same order and stops at the same point (an urgent stop event
        at ``until``, queued now, as SimPy does); a failed event that nothing defused crashes
        the run as it would in SimPy. Saves a method call and an exception frame per event.
        """
        if until <= self.now:
            raise ValueError(f"until ({until}) must be later than now ({self.now})")
        stop = self.triggered()
        self.schedule(stop, URGENT, until - self.now)
        queue = self._queue
        while True:
            self.now, _, _, event = heappop(queue)
            if event is stop:
                return
            callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                failure = event._value
                crash = type(failure)(*failure.args)
                crash.__cause__ = failure
                raise crash
