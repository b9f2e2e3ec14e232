"""Calling a function later in simulated time without a SimPy process (one event, no generator)."""

from __future__ import annotations

from collections.abc import Callable

import simpy


def call_after(env: simpy.Environment, delay: float, action: Callable[[], None]) -> None:
    """Run ``action`` once ``delay`` simulated seconds from now."""
    timer = env.timeout(delay)
    timer.callbacks.append(lambda _event: action())
