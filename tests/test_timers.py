"""Timers without processes fire when a SimPy ``Timeout`` would, in the same order."""

from __future__ import annotations

import pytest
import simpy

from sim.timers import TimerCallback, at_delay


def test_timers_fire_at_their_time_and_in_the_order_timeouts_would() -> None:
    env = simpy.Environment()
    fired: list[tuple[str, float]] = []

    def note(name: str) -> TimerCallback:
        return lambda timer: fired.append((name, env.now))

    delays = [3.0, 3.0, 1.0, 1.0, 0.0, 0.0, 2.5]
    for index, delay in enumerate(delays):
        if index % 2:
            at_delay(env, delay, note(f"timer {index}"))
        else:
            simpy.Timeout(env, delay).callbacks.append(note(f"timer {index}"))
    env.run()
    expected = sorted(((f"timer {i}", d) for i, d in enumerate(delays)),
                      key=lambda item: (item[1], int(item[0].split()[1])))
    assert fired == expected


def test_a_timer_set_from_a_timer_counts_from_the_moment_it_fires() -> None:
    env = simpy.Environment()
    seen: list[float] = []

    def again(_timer: simpy.Event) -> None:
        seen.append(env.now)
        if len(seen) < 3:
            at_delay(env, 1.5, again)

    at_delay(env, 2.0, again)
    env.run(until=10)
    assert seen == [2.0, 3.5, 5.0]


def test_a_timer_in_the_past_is_refused() -> None:
    env = simpy.Environment()
    with pytest.raises(ValueError, match="in the past"):
        at_delay(env, -1.0, lambda _timer: None)
