"""One centre's operators shared by several municipalities' centres (*interkommunalt*).

Each member keeps its own reception (its devices, correlation, priorities, handling times and
outcomes: :class:`~sim.model.centre.ResponseCentre`) and its own home care; only the operators
are shared. Every member's incidents join one queue, by priority then arrival, and an operator
takes the next incident whichever member it comes from. The incident's topic names its member's
tenant, which tells the shared pool whose centre assesses and documents it.
"""

from __future__ import annotations

from sim.engine import Engine
from sim.model.centre import Incident, ResponseCentre
from sim.model.shifts import ShiftPool, Worker


def tenant_of(topic: str) -> str:
    """The tenant of an event topic ``vt/v1/{tenant}/...``."""
    return topic.split("/", 3)[2]


class SharedOperators:
    """The shared centre's operators: one :class:`ShiftPool` serving every member's centre."""

    def __init__(self, env: Engine) -> None:
        self._centres: dict[str, ResponseCentre] = {}
        self.pool = ShiftPool(env, "op", self._assess, self._close)

    def join(self, centre: ResponseCentre) -> None:
        """Let a member's centre hand its incidents to the shared operators."""
        tenant = centre.scenario.tenant
        if tenant in self._centres:
            raise ValueError(f"two members with the tenant {tenant!r}; each needs its own")
        self._centres[tenant] = centre
        centre.operators = self.pool

    def _assess(self, operator: Worker, incident: Incident) -> float:
        return self._centres[tenant_of(incident.topic)].assess(operator, incident)

    def _close(self, incident: Incident) -> None:
        self._centres[tenant_of(incident.topic)].close(incident)
