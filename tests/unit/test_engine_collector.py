"""Runs in several threads (as Dask workers run tasks) leave the garbage collector as found."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from sim.engine.collector import RUN_GC_THRESHOLD, QuietCollector


@pytest.fixture
def collector_setting() -> Iterator[tuple[int, int, int]]:
    """An unusual setting to restore (so that restoring Python's default is not enough)."""
    before = gc.get_threshold()
    gc.set_threshold(611, 7, 9)
    try:
        yield gc.get_threshold()
    finally:
        gc.set_threshold(*before)


def test_overlapping_runs_in_threads_restore_the_setting_only_when_the_last_ends(
        collector_setting: tuple[int, int, int]) -> None:
    """Run A starts, run B starts, A ends while B still runs, then B ends: B must still run
    quietly after A ended, and the setting found before A must come back after B (a plain
    save-and-restore per run would leave B's saved quiet setting behind)."""
    collector = QuietCollector()
    a_started, b_started, a_ended = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, tuple[int, ...]] = {}

    def run_a() -> None:
        with collector.during_run():
            a_started.set()
            b_started.wait(5)
            seen["a during"] = gc.get_threshold()
        a_ended.set()

    def run_b() -> None:
        a_started.wait(5)
        with collector.during_run():
            b_started.set()
            a_ended.wait(5)
            seen["b after a ended"] = gc.get_threshold()
            seen["active"] = (collector.active,)

    threads = [threading.Thread(target=run_a), threading.Thread(target=run_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    quiet = (RUN_GC_THRESHOLD, *collector_setting[1:])
    assert seen == {"a during": quiet, "b after a ended": quiet, "active": (1,)}
    assert gc.get_threshold() == collector_setting
    assert gc.get_freeze_count() == 0 and collector.active == 0


def test_many_threads_starting_and_ending_in_any_order_restore_the_setting(
        collector_setting: tuple[int, int, int]) -> None:
    collector = QuietCollector()
    start = threading.Barrier(8)
    wrong: list[tuple[int, ...]] = []

    def run(index: int) -> None:
        start.wait(5)
        for _ in range(200 + 13 * index):
            with collector.during_run():
                if gc.get_threshold()[0] != RUN_GC_THRESHOLD:
                    wrong.append(gc.get_threshold())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert wrong == []
    assert gc.get_threshold() == collector_setting
    assert gc.get_freeze_count() == 0 and collector.active == 0


def test_a_failing_run_still_restores_the_setting(
        collector_setting: tuple[int, int, int]) -> None:
    collector = QuietCollector()
    with pytest.raises(RuntimeError), collector.during_run():
        raise RuntimeError("the run failed")
    assert gc.get_threshold() == collector_setting and collector.active == 0
