"""Calling a function later in simulated time without a SimPy process (one event, no generator)."""

from __future__ import annotations

from collections.abc import Callable

import simpy
from simpy.events import URGENT, Timeout

TimerCallback = Callable[[simpy.Event], None]
"""Called with the timer event when it fires."""


def call_after(env: simpy.Environment, delay: float, action: Callable[[], None]) -> None:
    """Run ``action`` once ``delay`` simulated seconds from now."""
    Timeout(env, delay).callbacks.append(lambda _event: action())


def at_delay(env: simpy.Environment, delay: float, callback: TimerCallback) -> None:
    """Call ``callback(timer)`` once ``delay`` simulated seconds from now.

    The cheapest timer: one event and no wrapper. Keep ``callback`` (e.g. a bound method) in an
    attribute to avoid making a new one per call.
    """
    Timeout(env, delay).callbacks.append(callback)


def at_delay_first(env: simpy.Environment, delay: float, callback: TimerCallback) -> None:
    """Like :func:`at_delay`, but before the ordinary events due at the same moment."""
    timer = simpy.Event(env)
    timer._ok = True  # triggered, as SimPy itself does for the event that ends ``run``
    timer._value = None
    timer.callbacks.append(callback)
    env.schedule(timer, URGENT, delay)
