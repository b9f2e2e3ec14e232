"""The ``training:`` section of a scenario: a training session (*opplæring*) with scripted events.

A training scenario is an ordinary scenario (its stochastic background) plus a session: when it
starts on the scenario clock, how long it lasts, how many operator seats the centre has, and
scripted events at given times of day on given devices ("sa-0003 falls at 02:13"), each with
its expected handling: the right outcome and the time targets.

This module depends only on pydantic, :mod:`sim.scenario.durations` and the device catalog, so that
:mod:`sim.scenario.schema` can use it without an import cycle; the few checks that need the
scenario's
own definitions import them when they run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from devices.contract.catalog import DEVICE_TYPES
from sim.errors import Problem
from sim.scenario.durations import Seconds

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

DAY = 86400.0
DEVICE_PREFIX = {
    "sa": "safety_alarm",
    "gps": "gps_tracker",
    "lock": "e_lock",
    "disp": "medicine_dispenser",
    "ns": "night_supervision",
}
"""Device kinds by device-id prefix (the inverse of ``sim.model.fleet.ID_PREFIX``)."""


def _clock_from_number(value: object) -> object:
    from sim.scenario.schema import _sexagesimal_to_clock  # the scenario's rule for unquoted 02:13

    return _sexagesimal_to_clock(value)


def _check_clock(value: str) -> str:
    from sim.scenario.schema import parse_clock

    parse_clock(value)
    return value


def _check_outcome(value: str) -> str:
    from sim.scenario.schema import OUTCOMES

    if value not in OUTCOMES:
        raise ValueError(f"unknown outcome; known: {', '.join(OUTCOMES)}")
    return value


ScriptClock = Annotated[str, BeforeValidator(_clock_from_number), AfterValidator(_check_clock)]
ScriptOutcome = Annotated[str, AfterValidator(_check_outcome)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Expected(_Model):
    """The handling a trainer expects of one incident: the right outcome and time targets."""

    outcome: ScriptOutcome | None = Field(
        None, description="The right outcome; default: what the call reveals (`call_outcome`)."
    )
    take_within: Seconds | None = Field(
        None, description="Time target from the alarm reaching the centre to an operator taking "
        "it; default `training.targets.take_within`.",
    )
    close_within: Seconds | None = Field(
        None, description="Time target from the alarm to the incident being closed; default "
        "`training.targets.close_within`.",
    )


class ScriptedEvent(_Model):
    """One scripted event: at this time of day, this device sends this event."""

    at: ScriptClock = Field(description="Time of day; the first such time at or after the start.")
    device: str = Field(pattern=r"^(sa|gps|lock|disp|ns)-\d{4}$",
                        description="Device id, e.g. sa-0003 (the 3rd safety alarm).")
    event: str = Field(description="Event of the device's kind, e.g. fall_detected.")
    title: str = Field("", max_length=200, description="What happens, for trainer and debrief.")
    call: str = Field("", max_length=1000,
                      description="What the operator learns when calling the user or relatives.")
    call_outcome: ScriptOutcome = Field(
        "resolved_remotely", description="The outcome the call's information points to."
    )
    expected: Expected = Field(default_factory=Expected)

    @property
    def expected_outcome(self) -> str:
        """The right outcome: the expected one if given, else what the call reveals."""
        return self.expected.outcome or self.call_outcome


class TrainingTargets(_Model):
    """Time targets for every incident without its own (background incidents too)."""

    take_within: Seconds = Field(60.0, description="Alarm to taken (TSA: 60 s).")
    close_within: Seconds = Field(900.0, description="Alarm to closed.")


class Training(_Model):
    """A training session on top of the scenario's stochastic background."""

    start: ScriptClock = Field("00:00", description="Time of day the session starts (day 1).")
    duration: Seconds = Field(gt=0, description="Length of the session on the scenario clock.")
    seats: int | None = Field(
        None, ge=1, le=50,
        description="Operator seats; default: operators on duty at the start, less `absent`.",
    )
    absent: int = Field(0, ge=0, description="Operators off sick (seats fewer than planned).")
    targets: TrainingTargets = Field(default_factory=TrainingTargets)
    script: tuple[ScriptedEvent, ...] = Field((), description="Scripted events, any order.")

    @model_validator(mode="after")
    def _check_duration(self) -> Training:
        if self.duration > 7 * DAY:
            raise ValueError("a training session lasts at most 7 days (duration)")
        return self

    @property
    def start_s(self) -> float:
        """Start of the session in scenario seconds (time of day on the first day)."""
        from sim.scenario.schema import parse_clock

        return parse_clock(self.start)

    @property
    def end_s(self) -> float:
        """End of the session in scenario seconds."""
        return self.start_s + self.duration

    def event_time(self, event: ScriptedEvent) -> float:
        """Scenario time of a scripted event: its time of day, at or after the session start."""
        from sim.scenario.schema import parse_clock

        return self.start_s + (parse_clock(event.at) - self.start_s) % DAY

    def timeline(self) -> list[tuple[float, int, ScriptedEvent]]:
        """``(time, index, event)`` of every scripted event, in time order."""
        return sorted(((self.event_time(e), i, e) for i, e in enumerate(self.script)),
                      key=lambda item: (item[0], item[1]))


def device_kind(device_id: str) -> str | None:
    """The device kind of an id such as ``sa-0003``, or None for an unknown prefix."""
    return DEVICE_PREFIX.get(device_id.partition("-")[0])


def fleet_counts(scenario: Scenario) -> dict[str, int]:
    """How many devices of each kind the scenario's users have (ids are numbered 1..count)."""
    counts: dict[str, int] = {}
    for profile in scenario.users:
        for kind in profile.devices:
            counts[kind] = counts.get(kind, 0) + profile.count
    return counts


def check_training(scenario: Scenario, file: str) -> Iterator[Problem]:
    """Problems of the ``training`` section that need the rest of the scenario."""
    training = scenario.training
    if training is None:
        return
    if training.end_s > scenario.horizon:
        yield Problem(file, "training.duration",
                      f"the session ends after the horizon ({scenario.horizon:g} s); "
                      "lengthen `horizon` or shorten the session", f"{training.duration:g} s")
    counts = fleet_counts(scenario)
    for i, event in enumerate(training.script):
        yield from _check_scripted(training, event, f"training.script.{i}", counts, file)


def _check_scripted(training: Training, event: ScriptedEvent, path: str,
                    counts: dict[str, int], file: str) -> Iterator[Problem]:
    kind = device_kind(event.device)
    if kind is None:
        return
    number = int(event.device.partition("-")[2])
    if not 1 <= number <= counts.get(kind, 0):
        yield Problem(file, f"{path}.device",
                      f"no such device: the users have {counts.get(kind, 0)} {kind} device(s)",
                      repr(event.device))
    known = DEVICE_TYPES[kind].events
    if event.event not in known:
        yield Problem(file, f"{path}.event",
                      f"unknown event of {kind}; known: {', '.join(known)}", repr(event.event))
    elif not known[event.event].incident:
        yield Problem(file, f"{path}.event",
                      "this event carries information only and opens no incident",
                      repr(event.event))
    if training.event_time(event) >= training.end_s:
        yield Problem(file, f"{path}.at", "falls after the end of the session", repr(event.at))
