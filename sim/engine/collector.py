"""The garbage collector's setting during runs, shared safely by runs in several threads.

A run allocates millions of short-lived objects that reference counting frees at once, so the
collector is made quieter while runs are under way. The collector is one per process, and Dask
workers run replications in threads, so the setting is counted: the first run to start sets it,
the last to finish restores what it found.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

RUN_GC_THRESHOLD = 50_000
"""Allocations between the garbage collector's young collections during a run (Python's
default is 700)."""


class QuietCollector:
    """Counts the runs under way in this process and keeps the collector quiet while any is."""

    def __init__(self, threshold: int = RUN_GC_THRESHOLD) -> None:
        self._threshold = threshold
        self._lock = threading.Lock()
        self._active = 0
        self._saved: tuple[int, ...] = gc.get_threshold()

    @property
    def active(self) -> int:
        """Runs under way."""
        return self._active

    @contextmanager
    def during_run(self) -> Iterator[None]:
        """Keep the collector out of the run's way; restore it once no run is under way.

        The objects built before the first run (fleet, models, …) live for the whole run, so
        they are frozen: without that every full collection walks them all again. A young
        collection every 50,000 allocations instead of 700 finds the same few cycles (a worker
        and its callback, one per shift) later.
        """
        self._enter()
        try:
            yield
        finally:
            self._leave()

    def _enter(self) -> None:
        with self._lock:
            if self._active == 0:
                self._saved = gc.get_threshold()
                gc.freeze()
                gc.set_threshold(self._threshold, *self._saved[1:])
            self._active += 1

    def _leave(self) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0:
                gc.set_threshold(*self._saved)
                gc.unfreeze()


PROCESS_COLLECTOR = QuietCollector()
"""The one counter for this process: the collector it guards is the process's own."""


def quiet_collector() -> AbstractContextManager[None]:
    """The collector kept quiet for one run (counted with the process's other runs)."""
    return PROCESS_COLLECTOR.during_run()
