"""The engine processes what SimPy would, in the same order, with its own timers and loop.

These tests pin the engine to SimPy's behaviour; CI runs them on the lowest and the highest
simpy that ``pyproject.toml`` allows, because the engine relies on SimPy's private attributes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import simpy

from sim.engine import Engine, PausableEngine, RealtimeEngine, TimerCallback


def noter(env: simpy.Environment, fired: list[tuple[str, float]]
          ) -> Callable[[str], TimerCallback]:
    """Makes timer callbacks that note their name and the time they fire."""
    def note(name: str) -> TimerCallback:
        return lambda _timer: fired.append((name, env.now))
    return note


def test_timers_fire_at_their_time_and_in_the_order_timeouts_would() -> None:
    env = Engine()
    fired: list[tuple[str, float]] = []
    note = noter(env, fired)
    delays = [3.0, 3.0, 1.0, 1.0, 0.0, 0.0, 2.5, 1.0]
    for index, delay in enumerate(delays):
        if index % 3 == 1:
            env.at_delay(delay, note(f"timer {index}"))
        elif index % 3 == 2:
            env.at_time(env.now + delay, note(f"timer {index}"))
        else:
            simpy.Timeout(env, delay).callbacks.append(note(f"timer {index}"))
    env.run()
    expected = sorted(((f"timer {i}", d) for i, d in enumerate(delays)),
                      key=lambda item: (item[1], int(item[0].split()[1])))
    assert fired == expected


def test_a_timer_set_from_a_timer_counts_from_the_moment_it_fires() -> None:
    env = Engine()
    seen: list[float] = []

    def again(_timer: object) -> None:
        seen.append(env.now)
        if len(seen) < 3:
            env.at_delay(1.5, again)

    env.at_delay(2.0, again)
    env.run(until=10)
    assert seen == [2.0, 3.5, 5.0]


def test_an_urgent_timer_goes_before_ordinary_events_at_the_same_moment() -> None:
    env = Engine()
    fired: list[tuple[str, float]] = []
    note = noter(env, fired)
    env.at_delay(2.0, note("ordinary"))
    simpy.Timeout(env, 2.0).callbacks.append(note("timeout"))
    env.at_delay_first(2.0, note("first"))
    env.call_after(2.0, lambda: fired.append(("action", env.now)))
    env.run_until(5.0)
    assert fired == [("first", 2.0), ("ordinary", 2.0), ("timeout", 2.0), ("action", 2.0)]


def test_a_timer_in_the_past_is_refused() -> None:
    env = Engine()
    env.run_until(5.0)
    with pytest.raises(ValueError, match="in the past"):
        env.at_delay(-1.0, lambda _timer: None)
    with pytest.raises(ValueError, match="in the past"):
        env.at_time(4.0, lambda _timer: None)


def test_the_clock_is_simpys_clock() -> None:
    env = Engine(initial_time=7.0)
    assert env.now == 7.0 and simpy.Environment.now.fget(env) == 7.0  # type: ignore[attr-defined]
    env.timeout(2.0)
    env.step()
    assert env.now == simpy.Environment.now.fget(env) == 9.0  # type: ignore[attr-defined]
    env.at_delay(1.0, lambda _timer: None)
    assert env.peek() == 10.0


def busy_engine(fired: list[tuple[str, float]]) -> Engine:
    """Processes, timeouts, timers and urgent timers, some due exactly at time 10."""
    env = Engine()
    note = noter(env, fired)

    def ticker() -> simpy.events.ProcessGenerator:
        while True:
            yield env.timeout(2.5)
            fired.append(("tick", env.now))

    env.process(ticker())
    env.at_delay(10.0, note("timer at the end"))
    env.at_delay(4.0, note("timer"))
    env.at_delay_first(10.0, note("urgent at the end"))
    return env


def test_running_to_a_time_processes_what_simpys_loop_would_and_stops_there() -> None:
    ours: list[tuple[str, float]] = []
    simpys: list[tuple[str, float]] = []
    env = busy_engine(ours)
    env.run_until(10.0)
    reference = busy_engine(simpys)
    reference.run(until=10.0)  # SimPy's own loop (Environment.run and step)
    assert ours == simpys
    assert ("urgent at the end", 10.0) in ours and ("timer at the end", 10.0) not in ours
    assert env.now == reference.now == 10.0
    env.run_until(20.0)
    reference.run(until=20.0)
    assert ours == simpys
    assert ("timer at the end", 10.0) in ours


def test_a_failure_nobody_handles_crashes_the_run() -> None:
    env = Engine()

    def broken() -> simpy.events.ProcessGenerator:
        yield env.timeout(1.0)
        raise KeyError("no such device")

    env.process(broken())
    with pytest.raises(KeyError, match="no such device"):
        env.run_until(5.0)


def test_a_defused_failure_does_not_crash_the_run() -> None:
    env = Engine()
    failed = env.event()
    failed.fail(RuntimeError("handled elsewhere"))
    failed.defused = True
    env.run_until(1.0)
    assert env.now == 1.0


def test_running_to_the_past_is_refused() -> None:
    env = Engine(initial_time=3.0)
    with pytest.raises(ValueError, match="later than now"):
        env.run_until(3.0)


def test_a_pausable_engine_steps_up_to_the_time_it_is_given() -> None:
    env = PausableEngine()
    fired: list[tuple[str, float]] = []
    note = noter(env, fired)
    for t in (1.0, 2.0, 2.0, 5.0):
        env.at_delay(t, note(f"at {t}"))
    assert env.advance(0.5) == 0 and env.now == 0.0
    assert env.advance(2.0) == 3
    assert fired == [("at 1.0", 1.0), ("at 2.0", 2.0), ("at 2.0", 2.0)]
    assert env.peek() == 5.0
    assert env.advance(10.0) == 1 and env.now == 5.0


def test_a_realtime_engine_paces_the_same_timers_by_the_wall_clock() -> None:
    env = RealtimeEngine(factor=0.01, strict=False)  # 1 simulated second = 10 ms
    fired: list[tuple[str, float]] = []
    note = noter(env, fired)
    env.at_delay(3.0, note("timer"))
    env.call_after(1.0, lambda: fired.append(("action", env.now)))
    started = time.monotonic()
    env.run_until(5.0)
    assert time.monotonic() - started >= 0.05 * 0.9
    assert fired == [("action", 1.0), ("timer", 3.0)]
    assert env.now == 5.0
