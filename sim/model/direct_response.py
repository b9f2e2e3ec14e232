"""Direct response (*direkte respons*): no response centre; each zone's home-care workers
answer its alarms themselves, between visits.

One of the four ways a municipality can organise alarm response (Helsedirektoratet IS-2552):
its own centre, a shared centre, a purchased alarm-reception service, or this. The alarm goes to
a home-care worker of the alarm's zone, who takes it when free (by priority, then arrival, in the
same queue as the zone's visits), assesses it on the phone as an operator would (the same
handling and documentation times) and, if a visit is needed, queues the visit in the same zone.
The answer time is then the wait for a free home-care worker, and the time spent answering is
home-care time not spent on visits.
"""

from __future__ import annotations

from typing import Any

from sim.engine import Engine
from sim.model.centre import Incident, ResponseCentre
from sim.model.shifts import ShiftPool, Worker
from sim.model.visits import FieldService, Visit


class ZoneDesks(ShiftPool):
    """The centre's queue handed to the home care of each alarm's zone: an empty pool of its
    own that passes every incident to its zone's pool."""

    def __init__(self, env: Engine, zones: dict[str, ShiftPool]) -> None:
        super().__init__(env, "direct", _never, _never_finish)
        self._zones = zones

    def submit(self, priority: int, task: Any) -> None:
        """Queue an incident with the home care of its zone."""
        self._zones[task.zone].submit(priority, task)


def _never(_worker: Worker, _task: Any) -> float:  # pragma: no cover - the pool has no workers
    raise RuntimeError("the direct-response desk has no workers of its own")


def _never_finish(_task: Any) -> None:  # pragma: no cover - the pool has no workers
    raise RuntimeError("the direct-response desk has no workers of its own")


def answer_directly(env: Engine, centre: ResponseCentre, field: FieldService) -> None:
    """Let each zone's home-care workers answer its alarms as well as make its visits."""

    def start(worker: Worker, task: Incident | Visit) -> float:
        if isinstance(task, Incident):
            return centre.assess(worker, task)
        return field.visit(worker, task)

    def finish(task: Incident | Visit) -> None:
        if isinstance(task, Incident):
            centre.close(task)
        else:
            field.finish(task)

    pools = {zone: ShiftPool(env, f"homecare-{zone}", start, finish)
             for zone in field.zone_names()}
    field.use_pools(pools)
    centre.operators = ZoneDesks(env, pools)
