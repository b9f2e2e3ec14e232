"""The scenario: what a municipality's fleet and response centre look like (validated, frozen).

A scenario file is YAML; this module is its schema. Every model forbids unknown keys, so a typo is
an error, not a silently ignored setting. Durations accept ``90s``, ``15min``, ``2h``, ``28d``;
distributions are objects with a ``kind`` (see :mod:`sim.scenario.distributions`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from sim.scenario.benefit import Benefit, Growth
from sim.scenario.distributions import Constant, Distribution, LogNormal
from sim.scenario.durations import Seconds
from sim.scenario.script import Training

OUTCOMES = (
    "resolved_remotely",
    "relatives_called",
    "home_visit",
    "technical_followup",
    "emergency_services",
)
"""What an assessed incident ends in (*respondere*), in report order."""

Outcome = Literal[
    "resolved_remotely",
    "relatives_called",
    "home_visit",
    "technical_followup",
    "emergency_services",
]


def _resolved_remotely() -> dict[Outcome, float]:
    """The default outcomes: every incident is resolved on the phone."""
    return {"resolved_remotely": 1.0}


_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


def parse_clock(value: str) -> float:
    """Seconds after midnight for ``"HH:MM"`` (``"24:00"`` is the end of the day)."""
    match = _CLOCK.match(value)
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise ValueError("expected a time of day HH:MM, 00:00 to 24:00")
    return int(match.group(1)) * 3600.0 + int(match.group(2)) * 60.0


def _check_clock(value: str) -> str:
    parse_clock(value)
    return value


def _sexagesimal_to_clock(value: object) -> object:
    """YAML 1.1 reads an unquoted ``15:00`` as the number 900 (base 60); take it back."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 1440:
        return f"{value // 60:02d}:{value % 60:02d}"
    return value


Clock = Annotated[str, BeforeValidator(_sexagesimal_to_clock), AfterValidator(_check_clock)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Headcount = Annotated[int, Field(ge=0)]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Zone(_Model):
    """A part of the region served by its own home-care field staff (*sone*)."""

    name: Name
    share: float = Field(1.0, gt=0, description="Relative share of users living here.")
    travel_time: Distribution = Field(
        default_factory=lambda: LogNormal(mean_value=12, sd=5, unit="min"),
        description="One-way travel time of a field worker to a home in the zone.",
    )
    field_staff: Headcount | dict[str, Headcount] = Field(
        1,
        description="Field workers available for alarm visits, for all shifts or per shift name.",
    )

    def field_staff_on(self, shift: str) -> int:
        """Field workers of this zone on the named centre shift."""
        if isinstance(self.field_staff, int):
            return self.field_staff
        return self.field_staff.get(shift, 0)


class UserProfile(_Model):
    """A group of service users (*brukergruppe*) with the same device kit."""

    name: Name
    count: int = Field(ge=0, description="Number of users in the group.")
    devices: tuple[str, ...] = Field(min_length=1, description="Device kinds each user has.")
    zones: dict[str, Annotated[float, Field(ge=0)]] | None = Field(
        None, description="Distribution over zones (relative weights); default: zone shares."
    )
    rate_multiplier: NonNegative | dict[str, NonNegative] = Field(
        1.0, description="Multiplies event rates of this group's devices, overall or per kind."
    )

    def multiplier_for(self, device_type: str) -> float:
        """Rate multiplier for one device kind."""
        if isinstance(self.rate_multiplier, dict):
            return self.rate_multiplier.get(device_type, 1.0)
        return self.rate_multiplier


class Repeat(_Model):
    """A device (or its user) sends the alarm again while nobody has answered."""

    probability: Probability = Field(description="Chance of each further repeat.")
    after: Distribution = Field(description="Delay from the previous message to the repeat.")
    max: int = Field(3, ge=1, le=20, description="Most repeats of one alarm.")


class EventConfig(_Model):
    """How often one event kind of one device kind happens, and how the centre treats it."""

    rate_per_day: float | None = Field(
        None, ge=0, description="Poisson rate per device per day (mean of the 24-hour profile)."
    )
    profile: Name = Field("flat", description="Name of the 24-hour profile shaping the rate.")
    at: tuple[Clock, ...] | None = Field(
        None, description="Scheduled times of day at which the event may happen on each device."
    )
    probability: Probability | None = Field(
        None, description="Chance per device and scheduled time (with `at`)."
    )
    delay: Seconds = Field(0.0, description="Delay after the scheduled time (with `at`).")
    interval: Seconds | None = Field(
        None, gt=0, description="Period of periodic telemetry (heartbeats, positions)."
    )
    priority: int | None = Field(None, ge=1, le=5, description="1 most urgent; default by kind.")
    handling: Distribution | None = Field(None, description="Operator time to assess and act.")
    wrapup: Distribution | None = Field(None, description="Operator time to document.")
    outcomes: dict[Outcome, Probability] | None = Field(
        None, description="Probabilities of the outcomes; must sum to 1."
    )
    repeat: Repeat | None = Field(None, description="Repeats while the alarm is unanswered.")

    @model_validator(mode="after")
    def _check_one_generator(self) -> EventConfig:
        given = [self.rate_per_day is not None, self.at is not None, self.interval is not None]
        if sum(given) > 1:
            raise ValueError("give only one of rate_per_day, at (with probability) or interval")
        if (self.at is None) != (self.probability is None):
            raise ValueError("`at` and `probability` go together")
        if self.delay and self.at is None:
            raise ValueError("`delay` applies only to scheduled events (with `at`)")
        if self.outcomes is not None:
            _check_sums_to_one(self.outcomes.values())
        return self

    @property
    def generated(self) -> bool:
        """Whether this event happens at all in the scenario."""
        return any(
            (
                bool(self.rate_per_day),
                bool(self.probability) and bool(self.at),
                self.interval is not None,
            )
        )


def _check_sums_to_one(probabilities: Iterable[float]) -> None:
    total = sum(probabilities)
    if abs(total - 1.0) > 1e-9:
        raise ValueError(f"outcome probabilities must sum to 1 (they sum to {total:g})")


class DeviceConfig(_Model):
    """Settings of one device kind: its events."""

    based_on: Name | None = Field(
        None,
        description="Shipped device profile these settings start from (docs/device-profiles.md).",
    )
    events: dict[str, EventConfig] = Field(default_factory=dict)


class Shift(_Model):
    """A response-centre shift (*vakt*) with its operators on duty."""

    name: Name
    start: Clock
    end: Clock
    operators: int = Field(ge=0, description="Operators on duty during the shift.")

    @property
    def start_s(self) -> float:
        """Start in seconds after midnight."""
        return parse_clock(self.start)

    @property
    def length_s(self) -> float:
        """Length in seconds; a shift ending at or before its start runs past midnight."""
        length = parse_clock(self.end) - self.start_s
        return length if length > 0 else length + 86400.0


class Handling(_Model):
    """Defaults for events that do not set their own handling."""

    handling: Distribution = Field(
        default_factory=lambda: LogNormal(mean_value=3, sd=2, unit="min"),
        description="Operator time to assess and act (call the user, decide).",
    )
    wrapup: Distribution = Field(
        default_factory=lambda: LogNormal(mean_value=1.5, sd=1, unit="min"),
        description="Operator time to document the incident (*dokumentere*).",
    )
    outcomes: dict[Outcome, Probability] = Field(
        default_factory=_resolved_remotely,
        description="Outcome probabilities; must sum to 1.",
    )

    @model_validator(mode="after")
    def _check_outcomes(self) -> Handling:
        _check_sums_to_one(self.outcomes.values())
        return self


class Centre(_Model):
    """The response centre (*responssenter*): shifts, defaults, correlation."""

    shifts: tuple[Shift, ...] = Field(min_length=1)
    defaults: Handling = Field(default_factory=Handling)
    correlation_window: Seconds = Field(
        600.0, description="Repeats of an alarm within this time of its first message join it."
    )
    min_operators: int = Field(
        2, ge=1, description="Fewest operators on duty before a warning (IS-2552)."
    )


class Transport(_Model):
    """The message path from device to centre."""

    latency: Distribution = Field(
        default_factory=lambda: Constant(value=0.0),
        description="Delay from device to centre.",
    )
    duplicate_probability: Probability = Field(
        0.0, description="Chance that a message is delivered twice (QoS 1 redelivery)."
    )
    malformed_probability: Probability = Field(
        0.0, description="Chance that a device sends a corrupt message (rejected, then resent)."
    )
    resend_after: Seconds = Field(
        30.0, description="A device resends a message the centre rejected after this delay."
    )


class Visits(_Model):
    """Home-care visits dispatched by the centre (*utrykning*)."""

    on_site: Distribution = Field(
        default_factory=lambda: LogNormal(mean_value=25, sd=12, unit="min"),
        description="Time a field worker stays in the home.",
    )


class Targets(_Model):
    """Service targets the measurements are compared with."""

    answer_within: tuple[Seconds, ...] = Field(
        (20.0, 60.0, 180.0), description="Answer-time thresholds (TSA: 60 s and 180 s)."
    )
    visit_within: tuple[Seconds, ...] = Field(
        (2700.0, 3600.0), description="Visit response thresholds (TSA: 45 and 60 min)."
    )


class Scenario(_Model):
    """A whole scenario: region, users, devices, centre, run settings."""

    name: str = Field(min_length=1)
    description: str = ""
    tenant: Name = Field("demo", description="Tenant (municipality) name used in topics.")
    start: dt.date = Field(dt.date(2026, 1, 5), description="Date of the first simulated day.")
    horizon: Seconds = Field(gt=0, description="Simulated time per replication.")
    warmup: Seconds = Field(0.0, description="Initial time excluded from the measurements.")
    replications: int = Field(10, ge=1, le=10_000)
    seed: int = Field(1, ge=0, description="Master seed; a run's --seed overrides it.")
    zones: tuple[Zone, ...] = Field(min_length=1)
    profiles: dict[Name, tuple[Annotated[float, Field(ge=0)], ...]] = Field(
        default_factory=dict, description="24-hour profiles: 24 hourly relative weights."
    )
    users: tuple[UserProfile, ...] = Field(min_length=1)
    devices: dict[str, DeviceConfig] = Field(default_factory=dict)
    centre: Centre
    transport: Transport = Field(default_factory=Transport)
    visits: Visits = Field(default_factory=Visits)
    targets: Targets = Field(default_factory=Targets)
    telemetry: Literal["aggregate", "simulate"] = Field(
        "aggregate",
        description="Count periodic and information messages (aggregate) or send each one.",
    )
    benefit: Benefit | None = Field(
        None, description="Baseline arm and costs for benefit realisation (vtsim compare).",
    )
    growth: Growth = Field(
        default_factory=Growth, description="Growth of the user counts per year (demography).",
    )
    training: Training | None = Field(
        None, description="A training session with scripted events (docs/training.md)."
    )

    @model_validator(mode="after")
    def _check_warmup(self) -> Scenario:
        if self.warmup >= self.horizon:
            raise ValueError("warmup must be shorter than horizon")
        return self
