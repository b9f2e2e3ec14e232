"""Timers without processes fire when a SimPy ``Timeout`` would, in the same order."""

from __future__ import annotations

import pytest
import simpy
from simpy.events import URGENT

from sim.engine.timers import TimerCallback, at_delay, run_until


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


def busy_environment(fired: list[tuple[str, float]]) -> simpy.Environment:
    """Processes, timeouts, timers and urgent events, some due exactly at time 10."""
    env = simpy.Environment()

    def ticker() -> simpy.events.ProcessGenerator:
        while True:
            yield env.timeout(2.5)
            fired.append(("tick", env.now))

    def note(name: str) -> TimerCallback:
        return lambda _timer: fired.append((name, env.now))

    env.process(ticker())
    at_delay(env, 10.0, note("timer at the end"))
    at_delay(env, 4.0, note("timer"))
    urgent = simpy.Event(env)
    urgent._ok, urgent._value = True, None
    urgent.callbacks.append(note("urgent at the end"))
    env.schedule(urgent, URGENT, 10.0)
    return env


def test_running_to_a_time_processes_what_simpy_would_and_stops_there() -> None:
    ours: list[tuple[str, float]] = []
    simpys: list[tuple[str, float]] = []
    env = busy_environment(ours)
    run_until(env, 10.0)
    reference = busy_environment(simpys)
    reference.run(until=10.0)
    assert ours == simpys
    assert ("urgent at the end", 10.0) in ours and ("timer at the end", 10.0) not in ours
    assert env.now == reference.now == 10.0
    run_until(env, 20.0)
    reference.run(until=20.0)
    assert ours == simpys


def test_a_failure_nobody_handles_crashes_the_run() -> None:
    env = simpy.Environment()

    def broken() -> simpy.events.ProcessGenerator:
        yield env.timeout(1.0)
        raise KeyError("no such device")

    env.process(broken())
    with pytest.raises(KeyError, match="no such device"):
        run_until(env, 5.0)


def test_running_to_the_past_is_refused() -> None:
    env = simpy.Environment(initial_time=3.0)
    with pytest.raises(ValueError, match="later than now"):
        run_until(env, 3.0)
