"""The municipality's home service as a whole, and the overheads of its staff shifts.

``benefit.home_care_totals`` states what the municipality knows of its whole home service
(*hjemmetjenesten*) from its own statistics: recipients, årsverk and, where known, visits or
decided hours per week. The modelled baseline is reconciled with them (``vtsim check`` and
``vtsim compare`` warn, or fail, when it is implausible). ``benefit.key_handling`` is an overhead
per employee per shift (*per ansatt per vakt*), not per visit. See docs/scenario.md §15.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class KeyHandling(_Section):
    """Fetching, carrying and returning the keys of users' homes (*nøkkelhåndtering*).

    The time is spent once per employee per shift (keys fetched at the base for the shift's
    round, exchanged when the round changes), so it is counted per employee-shift: the modelled
    visiting work at homes with keys (travel and time in the homes) divided by the visiting hours
    of one shift, times the minutes per shift. Homes with an e-lock need no keys.
    """

    minutes_per_shift: NonNegative = Field(
        0.0, description="Minutes of key handling per home-care employee per shift (at homes "
        "with keys).",
    )
    visit_hours_per_shift: Positive = Field(
        5.0, le=24.0, description="Hours of visiting work (travel and time in homes) one "
        "employee does in one shift; the rest of the shift is reports, documentation, breaks.",
    )

    lock_rounds_share: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        1.0, description="Share of the visiting work at e-lock homes planned into rounds "
        "without any keyed home; the rest shares rounds with homes that need keys, whose shifts "
        "still handle keys.",
    )

    @model_validator(mode="before")
    @classmethod
    def _reject_per_visit(cls, data: Any) -> Any:
        if isinstance(data, dict) and "kind" in data:
            raise ValueError(
                "key handling is an overhead per employee per shift, not a time per visit: "
                "write {minutes_per_shift: 25, visit_hours_per_shift: 5} (see docs/scenario.md "
                "§15 and docs/decisions.md)"
            )
        return data

    def seconds_for(self, keyed_work_s: float, lock_work_s: float = 0.0) -> float:
        """Key handling of the shifts that handle keys (see :meth:`shifts_for`)."""
        return self.shifts_for(keyed_work_s, lock_work_s) * self.minutes_per_shift * 60.0

    def shifts_for(self, keyed_work_s: float, lock_work_s: float = 0.0) -> float:
        """Employee-shifts that handle keys: those that ``keyed_work_s`` seconds of visiting work
        at keyed homes fill, and those of the work at e-lock homes (``lock_work_s``) that shares
        rounds with keyed homes."""
        keyed = keyed_work_s + (1.0 - self.lock_rounds_share) * lock_work_s
        return keyed / (self.visit_hours_per_shift * 3600.0)


class HomeCareTotals(_Section):
    """The municipality's whole home service in one year (*hjemmetjenesten*), from its own
    statistics (KOSTRA/IPLOS, budgets, plans)."""

    year: Annotated[int, Field(ge=1900, le=2200)] = Field(
        description="The year these totals describe; other years are scaled by "
        "benefit.home_care_plan (or growth.rate without one).",
    )
    recipients: Annotated[int, Field(ge=1)] = Field(
        description="Recipients of home services (*mottakere av hjemmetjenester*).",
    )
    arsverk: Positive | None = Field(
        None, description="Årsverk of the home service (default: benefit.home_care_plan at "
        "`year`).",
    )
    visits_per_week: Positive | None = Field(
        None, description="Home visits per week of the whole service, if known.",
    )
    hours_per_week: Positive | None = Field(
        None, description="Decided direct hours per week (*vedtakstimer*, time in the homes), "
        "if known.",
    )
