"""Timers: calling a function later in simulated time without a SimPy process or constructor."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

TimerCallback = Callable[[Any], None]
"""Called with the timer event (a :class:`Due` or a SimPy event) when it fires."""


class Due:
    """A timer on SimPy's queue: an event already triggered (as a :class:`simpy.Timeout` is)
    and due later.

    SimPy's event loop (``Environment.step``) and :meth:`sim.engine.Engine.run_until` read only
    ``callbacks``, ``_ok`` and ``_value`` of what they pop, so a timer needs no more than that:
    one slot, the rest on the class. Made by the engine (:meth:`sim.engine.Engine.at_delay`)
    without a constructor; a subclass may carry data (its own slots), made with
    :func:`new_timer` and queued by :meth:`sim.engine.Engine.queue_timer`.
    """

    __slots__ = ("callbacks",)
    _ok = True
    _value = None

    callbacks: Sequence[TimerCallback] | None
    """Called with the timer when it fires; the event loop sets it to None then. A shared
    tuple will do, as nothing adds callbacks to a timer."""


new_timer: Callable[[type[Any]], Any] = object.__new__
"""A timer of the given :class:`Due` class, made without running a constructor (set its
``callbacks`` and data before queueing it)."""
