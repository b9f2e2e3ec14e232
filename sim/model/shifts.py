"""Staff on shifts (*vakter*) taking tasks from a priority queue.

One mechanism serves both the centre's operators and each zone's field workers: a
:class:`ShiftPool` keeps a queue ordered by (priority, arrival) and a set of idle workers. Workers
come on duty at the start of their shift and leave at its end; a worker busy at shift end finishes
the task in hand first (the incident in progress at shift change is finished).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import simpy

from sim.engine import Engine, TimerCallback
from sim.scenario.schema import Shift

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class ShiftInstance:
    """One shift on one day: ``count`` workers on duty from ``start`` to ``end`` (sim seconds)."""

    name: str
    start: float
    end: float
    count: int


def shift_instances(shifts: Iterable[tuple[Shift, int]], horizon: float) -> list[ShiftInstance]:
    """Every shift worked within ``[0, horizon)``, given ``(shift, workers)`` pairs.

    Back-to-back instances of the same shift (a 24-hour shift) merge into one, so that nobody
    hands over at midnight when the same people would carry on.
    """
    instances: list[ShiftInstance] = []
    days = math.ceil(horizon / DAY)
    for shift, count in shifts:
        if count <= 0:
            continue
        merged: list[ShiftInstance] = []
        offset, length = shift.start_s, shift.length_s  # each reads the clock text: once
        for day in range(-1, days + 1):
            start = day * DAY + offset
            end = start + length
            if end <= 0 or start >= horizon:
                continue
            start = max(start, 0.0)
            if merged and merged[-1].end == start:
                merged[-1] = ShiftInstance(shift.name, merged[-1].start, end, count)
            else:
                merged.append(ShiftInstance(shift.name, start, end, count))
        instances.extend(merged)
    return sorted(instances, key=lambda s: (s.start, s.name))


def _not_hired(_timer: simpy.Event) -> None:
    """A worker's task-done callback before a pool hires the worker (never scheduled)."""


class Worker:
    """One operator or field worker on one shift."""

    __slots__ = ("done", "ident", "idle", "leaving", "shift", "task")

    def __init__(self, ident: str, shift: str) -> None:
        self.ident = ident
        self.shift = shift
        self.leaving = False
        self.idle = False
        self.task: Any = None
        self.done: TimerCallback = _not_hired


Start = Callable[[Worker, Any], float]
"""Begins a task on a worker and returns how long the worker is busy with it."""
Finish = Callable[[Any], None]
"""Ends a task when the worker is free again."""


class ShiftPool:
    """Workers on shifts serving tasks in (priority, arrival) order.

    A task goes straight to an idle worker when there is one. A busy worker is one timer in the
    simulation (no process per worker): when it fires the task ends and the worker takes the
    next one from the queue, goes idle, or leaves if the shift is over.
    """

    def __init__(self, env: Engine, name: str, start: Start, finish: Finish) -> None:
        self._env = env
        self._name = name
        self._start = start
        self._finish = finish
        self._tasks: list[tuple[int, int, Any]] = []
        self._idle: deque[Worker] = deque()
        self._arrivals = 0
        self._hired = 0

    @property
    def waiting(self) -> int:
        """Tasks queued for a worker."""
        return len(self._tasks)

    def schedule(self, instances: Iterable[ShiftInstance]) -> None:
        """Bring workers on and off duty according to ``instances``.

        One timer waits for the next shift start (a shift coming on duty goes before anything
        else due at the same moment, such as the end of the shift it relieves), and each shift
        on duty has one timer for its end.
        """
        upcoming = deque(sorted(instances, key=lambda s: s.start))

        def start_due(_timer: simpy.Event | None = None) -> None:
            now = self._env.now
            while upcoming and upcoming[0].start <= now:
                self._start_shift(upcoming.popleft())
            if upcoming:
                self._env.at_delay_first(upcoming[0].start - now, start_due)

        start_due()

    def submit(self, priority: int, task: Any) -> None:
        """Hand a task to an idle worker, or queue it by priority then arrival."""
        self._arrivals += 1
        if self._idle:
            worker = self._idle.popleft()
            worker.idle = False
            self._serve(worker, task)
        else:
            heapq.heappush(self._tasks, (priority, self._arrivals, task))

    def _start_shift(self, instance: ShiftInstance) -> None:
        crew = [self._hire(instance.name) for _ in range(instance.count)]
        for worker in crew:
            self._next_task(worker)

        def end_shift(_timer: simpy.Event) -> None:
            for worker in crew:
                self._release(worker)

        self._env.at_delay(instance.end - self._env.now, end_shift)

    def _hire(self, shift: str) -> Worker:
        self._hired += 1
        worker = Worker(f"{self._name}-{self._hired}", shift)
        finish, next_task = self._finish, self._next_task

        def task_done(_timer: simpy.Event) -> None:
            task, worker.task = worker.task, None
            finish(task)
            next_task(worker)

        worker.done = task_done
        return worker

    def _release(self, worker: Worker) -> None:
        worker.leaving = True
        if worker.idle:
            worker.idle = False
            self._idle.remove(worker)

    def _serve(self, worker: Worker, task: Any) -> None:
        """Work on ``task``; tasks that take no time end at once and the next one starts."""
        while True:
            busy = self._start(worker, task)
            if busy > 0:
                worker.task = task
                self._env.at_delay(busy, worker.done)
                return
            self._finish(task)
            if worker.leaving or not self._tasks:
                break
            task = heapq.heappop(self._tasks)[2]
        self._next_task(worker)

    def _next_task(self, worker: Worker) -> None:
        """A free worker takes the next task, waits for one, or leaves at the end of the shift."""
        if worker.leaving:
            return
        if self._tasks:
            self._serve(worker, heapq.heappop(self._tasks)[2])
        else:
            worker.idle = True
            self._idle.append(worker)
