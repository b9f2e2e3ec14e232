"""Calling a function later in simulated time without a SimPy process (one event, no generator)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.events import NORMAL, URGENT, Timeout

TimerCallback = Callable[[Any], None]
"""Called with the timer event (a :class:`Due` or a SimPy event) when it fires."""


def call_after(env: simpy.Environment, delay: float, action: Callable[[], None]) -> None:
    """Run ``action`` once ``delay`` simulated seconds from now."""
    Timeout(env, delay).callbacks.append(lambda _event: action())


class Due:
    """A timer on SimPy's queue: an event already triggered (as a :class:`simpy.Timeout` is)
    and due later.

    SimPy's event loop (``Environment.step``) and :func:`run_until` read only ``callbacks``,
    ``_ok`` and ``_value`` of what they pop, so a timer needs no more than that: one slot, the
    rest on the class. Built by :func:`at_delay` without a constructor; the simulator makes
    several per alarm.
    """

    __slots__ = ("callbacks",)
    _ok = True
    _value = None

    callbacks: Sequence[TimerCallback] | None
    """Called with the timer when it fires; the event loop sets it to None then. A shared
    tuple will do, as nothing adds callbacks to a timer."""


_new_event = object.__new__


def at_delay(env: simpy.Environment, delay: float, callback: TimerCallback) -> None:
    """Call ``callback(timer)`` once ``delay`` simulated seconds from now.

    The cheapest timer: one event and no wrapper, queued exactly as a ``Timeout(env, delay)``
    would be (same time, priority and insertion order). Keep ``callback`` (e.g. a bound method)
    in an attribute to avoid making a new one per call.
    """
    timer: Due = _new_event(Due)
    timer.callbacks = [callback]
    queue_timer(env, delay, timer)


def queue_timer(env: simpy.Environment, delay: float, timer: Due) -> None:
    """Put a timer made by the caller (a :class:`Due`, or a subclass carrying data, with its
    ``callbacks`` set) on the queue, due ``delay`` simulated seconds from now: exactly where a
    ``Timeout(env, delay)`` would go (same time, priority and insertion order)."""
    if delay < 0:
        raise ValueError(f"a timer cannot be set {-delay} s in the past")
    heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), timer))  # type: ignore[misc]


def at_time(env: simpy.Environment, when: float, callback: TimerCallback) -> None:
    """Call ``callback(timer)`` at simulated time ``when`` (now or later), as :func:`at_delay`.

    For a moment worked out earlier: ``at_time(env, t0 + d, f)`` made later fires exactly when
    ``at_delay(env, d, f)`` made at ``t0`` would have.
    """
    if when < env._now:
        raise ValueError(f"a timer cannot be set {env._now - when} s in the past")
    timer: Due = _new_event(Due)
    timer.callbacks = [callback]
    heappush(env._queue, (when, NORMAL, next(env._eid), timer))  # type: ignore[misc]


def at_delay_first(env: simpy.Environment, delay: float, callback: TimerCallback) -> None:
    """Like :func:`at_delay`, but before the ordinary events due at the same moment."""
    timer = simpy.Event(env)
    timer._ok = True  # triggered, as SimPy itself does for the event that ends ``run``
    timer._value = None
    timer.callbacks.append(callback)
    env.schedule(timer, URGENT, delay)


def run_until(env: simpy.Environment, until: float) -> None:
    """``env.run(until=until)``, with SimPy's event loop written out in one frame.

    Processes events in the same order and stops at the same point (an urgent stop event at
    ``until``, queued now, as SimPy does); a failed event that nothing defused crashes the run
    as it would in SimPy. Saves a method call and an exception frame per event.
    """
    if until <= env._now:
        raise ValueError(f"until ({until}) must be later than now ({env._now})")
    stop = simpy.Event(env)
    stop._ok = True
    stop._value = None
    env.schedule(stop, URGENT, until - env._now)
    queue = env._queue
    while True:
        env._now, _, _, event = heappop(queue)
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
