"""A region (*interkommunalt samarbeid*): several municipalities sharing one response centre.

A region file names member scenario files, each a whole municipality with its own fleet, zones,
home care, costs and growth (the file it would run on its own, with its own centre), and
describes the shared centre's shifts. In a region run every member's alarms go to the shared
operators (one priority queue); each member's visits go to its own home care. The run settings
(start, horizon, warm-up, seed, replications) and the answer and visit targets are the region's,
so that all members share one clock and one agreement.

Problems are reported all at once, each naming the member, its file and the field path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.errors import Problem, ScenarioError
from sim.scenario.durations import Seconds
from sim.scenario.loading import (
    independent_errors,
    load_scenario,
    pydantic_problem,
    read_yaml,
    set_path,
)
from sim.scenario.schema import Centre, Name, Scenario, Shift, Targets


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class MemberEntry(_Model):
    """One member municipality of the region, as the region file names it."""

    name: Name = Field(description="The member's name in results (metrics keys, tables).")
    scenario: str = Field(min_length=1, description="Its scenario file, relative to the region "
                                                    "file.")
    inhabitants: int | None = Field(
        None, ge=0, description="Inhabitants, for sharing costs per inhabitant.")
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="Field overrides of the member's scenario (as `vtsim run --set`).")


class SharedCentre(_Model):
    """The shared centre: its shifts and operators (handling, correlation and priorities stay
    each member's own)."""

    shifts: tuple[Shift, ...] = Field(min_length=1)
    min_operators: int = Field(
        2, ge=1, description="Fewest operators on duty before a warning (IS-2552).")


class RegionCosts(_Model):
    """What a centre costs, for sharing the shared centre's cost and comparing it with each
    member's own centre (NOK a year, 2026 kroner)."""

    operator_hourly_cost: float = Field(
        413.0, ge=0, description="Cost of one paid operator hour (as lier-2026.yaml).")
    rota_factor: float = Field(
        1.14, ge=1.0, le=3.0, description="Paid operator hours per hour on duty.")
    fixed_per_year: float = Field(
        300_000.0, ge=0, description="The shared centre's fixed cost a year: software, alarm "
                                     "reception, rooms (not operators).")
    own_fixed_per_year: float = Field(
        300_000.0, ge=0, description="The same for each member's own centre.")
    fixed_share: float = Field(
        0.3, ge=0, le=1, description="Share of the total split per inhabitant in the fixed + "
                                     "variable key; the rest per operator-minute used.")
    purchased_price_per_device_month: float = Field(
        0.0, ge=0, description="Price of a purchased alarm-reception service per device and "
                               "month (the fourth organisation model).")
    purchased_answer_share: float = Field(
        0.975, ge=0, le=1, description="Share of alarms the purchased service promises to "
                                       "answer within the comparison's answer target.")


class RegionFile(_Model):
    """The region file's content."""

    name: str = Field(min_length=1)
    description: str = ""
    start: dt.date = Field(dt.date(2026, 1, 5), description="Date of the first simulated day.")
    horizon: Seconds = Field(gt=0, description="Simulated time per replication.")
    warmup: Seconds = Field(0.0, description="Initial time excluded from the measurements.")
    replications: int = Field(10, ge=1, le=10_000)
    seed: int = Field(1, ge=0, description="Master seed; a run's --seed overrides it.")
    members: tuple[MemberEntry, ...] = Field(min_length=1)
    centre: SharedCentre
    targets: Targets = Field(default_factory=Targets)
    costs: RegionCosts = Field(default_factory=RegionCosts)

    @model_validator(mode="after")
    def _check_warmup(self) -> RegionFile:
        if self.warmup >= self.horizon:
            raise ValueError("warmup must be shorter than horizon")
        return self


@dataclass(frozen=True)
class Member:
    """A member as simulated: its own scenario (own centre: the member alone) and its view
    under the shared centre (for its figures)."""

    name: str
    file: str
    scenario: Scenario
    """The member's scenario with the region's run settings: its fleet, zones, home care and,
    in ``centre``, its own centre (the shifts its home care works to)."""
    shared_view: Scenario
    """The same with the shared centre's shifts and the region's targets: what its figures
    are measured against."""
    inhabitants: int | None


@dataclass(frozen=True)
class Region:
    """A validated region: the shared centre and its members."""

    spec: RegionFile
    members: tuple[Member, ...]

    @property
    def name(self) -> str:
        """The region's name."""
        return self.spec.name

    @property
    def warmup(self) -> float:
        """Initial time excluded from the measurements (seconds)."""
        return self.spec.warmup

    @property
    def horizon(self) -> float:
        """Simulated time per replication (seconds)."""
        return self.spec.horizon

    @property
    def seed(self) -> int:
        """The region's master seed."""
        return self.spec.seed

    @property
    def replications(self) -> int:
        """Replications by default."""
        return self.spec.replications

    @property
    def shifts(self) -> tuple[Shift, ...]:
        """The shared centre's shifts."""
        return self.spec.centre.shifts

    def member(self, name: str) -> Member:
        """The member of that name."""
        return next(m for m in self.members if m.name == name)

    def with_operators(self, staffing: dict[str, int]) -> Region:
        """The same region with operators per shared shift changed (by shift name)."""
        shifts = tuple(s.model_copy(update={"operators": staffing.get(s.name, s.operators)})
                       for s in self.shifts)
        spec = self.spec.model_copy(
            update={"centre": self.spec.centre.model_copy(update={"shifts": shifts})})
        return build_region(spec, [(m.name, m.file, m.scenario, m.inhabitants)
                                   for m in self.members])


def is_region_file(path: str | Path) -> bool:
    """Whether a YAML file is a region file (it has ``members``), not a scenario."""
    try:
        data = read_yaml(Path(path))
    except ScenarioError:
        return False
    return "members" in data


def load_region(path: str | Path, overrides: dict[str, Any] | None = None) -> Region:
    """Read and validate a region file and every member's scenario file; raise
    :class:`ScenarioError` with every problem found.

    ``overrides`` set fields of the region file by dotted path (``centre.shifts.day.operators``)
    or of a member's scenario with ``members.<name>.<path>``.
    """
    file = str(path)
    data = read_yaml(Path(path))
    member_sets: dict[str, dict[str, Any]] = {}
    for dotted, value in (overrides or {}).items():
        head, _, rest = dotted.partition(".")
        name, _, field = rest.partition(".")
        if head == "members" and field and not name.isdigit():
            member_sets.setdefault(name, {})[field] = value
        else:
            set_path(data, dotted, value, file)
    try:
        spec = RegionFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([pydantic_problem(file, e)
                             for e in independent_errors(exc.errors())]) from None
    problems = list(_check_names(spec, file, member_sets))
    loaded = []
    base = Path(path).parent
    for i, entry in enumerate(spec.members):
        member_file = base / entry.scenario
        try:
            scenario = _load_member(member_file, {**entry.set, **member_sets.get(entry.name, {})})
        except ScenarioError as exc:
            problems.extend(_in_member(entry.name, i, file, exc))
            continue
        loaded.append((entry.name, str(member_file), scenario, entry.inhabitants))
    problems.extend(_check_tenants(spec, loaded, file))
    if problems:
        raise ScenarioError(problems)
    return build_region(spec, loaded)


def _load_member(member_file: Path, overrides: dict[str, Any]) -> Scenario:
    """A member's scenario with its overrides (set in the region file or on the command
    line), read as ``vtsim run`` reads a scenario (device profiles resolved first)."""
    return load_scenario(member_file, overrides)


def _in_member(member: str, index: int, region_file: str,
               error: ScenarioError) -> list[Problem]:
    """A member file's problems, each saying which member (and where the region names it)."""
    out = []
    for p in error.problems:
        where = f"member {member} (members.{index} of {region_file})"
        out.append(Problem(p.file, p.path, f"{where}: {p.message}", p.value))
    return out


def _check_names(spec: RegionFile, file: str,
                 member_sets: dict[str, dict[str, Any]]) -> list[Problem]:
    """Unique member and shift names; overrides name existing members."""
    problems = []
    names = [m.name for m in spec.members]
    for i, name in enumerate(names):
        if names.count(name) > 1:
            problems.append(Problem(file, f"members.{i}.name", "member names must be unique",
                                    repr(name)))
    shifts = [s.name for s in spec.centre.shifts]
    for i, name in enumerate(shifts):
        if shifts.count(name) > 1:
            problems.append(Problem(file, f"centre.shifts.{i}.name",
                                    "shift names must be unique", repr(name)))
    for name in member_sets:
        if name not in names:
            problems.append(Problem(file, f"members.{name}",
                                    f"no such member; members: {', '.join(names)}", repr(name)))
    return problems


def _check_tenants(spec: RegionFile, loaded: list[tuple[str, str, Scenario, int | None]],
                   file: str) -> list[Problem]:
    """Each member needs its own tenant: the shared centre tells their messages apart by it."""
    problems = []
    seen: dict[str, str] = {}
    index = {m.name: i for i, m in enumerate(spec.members)}
    for name, member_file, scenario, _ in loaded:
        if scenario.tenant in seen:
            problems.append(Problem(
                member_file, "tenant",
                f"member {name} (members.{index[name]} of {file}): tenant already used by "
                f"member {seen[scenario.tenant]}; every member needs its own",
                repr(scenario.tenant)))
        seen.setdefault(scenario.tenant, name)
    return problems


def build_region(spec: RegionFile,
                 loaded: list[tuple[str, str, Scenario, int | None]]) -> Region:
    """The region's members with the region's run settings and the shared centre's view."""
    settings = {"start": spec.start, "horizon": spec.horizon, "warmup": spec.warmup,
                "seed": spec.seed, "replications": spec.replications, "targets": spec.targets}
    members = []
    for name, member_file, scenario, inhabitants in loaded:
        own = scenario.model_copy(update=settings)
        shared = Centre(shifts=spec.centre.shifts, defaults=scenario.centre.defaults,
                        correlation_window=scenario.centre.correlation_window,
                        min_operators=spec.centre.min_operators)
        view = own.model_copy(update={"centre": shared})
        members.append(Member(name, member_file, own, view, inhabitants))
    return Region(spec, tuple(members))
