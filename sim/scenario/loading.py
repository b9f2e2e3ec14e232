"""Reading a scenario file: YAML in, a validated :class:`~sim.scenario.schema.Scenario` out.

Every problem is reported at once, each naming the file, the field path and the value found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from devices.contract.catalog import DEVICE_TYPES, EventSpec
from sim.errors import Problem, ScenarioError
from sim.scenario.library import ProfileUse, apply_device_profiles
from sim.scenario.overrides import is_fleet_alias, set_fleet_users
from sim.scenario.schema import EventConfig, Scenario
from sim.scenario.script import check_training
from sim.scenario.staffing import operators_on_duty

BUILTIN_PROFILES = {"flat": (1.0,) * 24}
"""Profiles every scenario may use without defining them."""


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read, validate and cross-check a scenario file; raise :class:`ScenarioError` if it is bad.

    ``overrides`` maps dotted field paths (``"centre.shifts.0.operators"``, or by name
    ``"centre.shifts.night.operators"``) to new values; ``fleet.<device kind>.users`` resizes the
    user groups carrying that device (:mod:`sim.scenario.overrides`). Shipped device profiles
    are resolved first (:mod:`sim.scenario.library`), so overrides act on the values used.
    """
    return load_scenario_noting(path, overrides)[0]


def load_scenario_noting(
    path: str | Path, overrides: dict[str, Any] | None = None,
) -> tuple[Scenario, list[ProfileUse]]:
    """:func:`load_scenario`, and which shipped device profiles the scenario uses."""
    return resolve_scenario(read_yaml(Path(path)), str(path), overrides)


def scenario_from_text(text: str, name: str) -> tuple[Scenario, list[ProfileUse]]:
    """A scenario given as YAML text (e.g. one about to be written), checked as a file is."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError([yaml_problem(name, exc)]) from None
    if not isinstance(data, dict):
        raise ScenarioError([Problem(name, "", "a scenario must be a YAML mapping", "")])
    return resolve_scenario(data, name)


def resolve_scenario(
    data: dict[str, Any], name: str, overrides: dict[str, Any] | None = None,
) -> tuple[Scenario, list[ProfileUse]]:
    """A parsed scenario with its device profiles and overrides applied, validated and
    cross-checked; and which shipped profiles it uses."""
    uses = apply_device_profiles(data, name)
    for dotted, value in (overrides or {}).items():
        if is_fleet_alias(dotted):
            set_fleet_users(data, dotted, value, name)
        else:
            set_path(data, dotted, value, name)
    uses += apply_device_profiles(data, name, only_missing=True)
    scenario = validate_scenario(data, name)
    problems = list(check_centre_receives(scenario, name))
    if problems:
        raise ScenarioError(problems)
    return scenario, uses


def read_yaml(path: Path) -> dict[str, Any]:
    """The YAML mapping in ``path``, or a :class:`ScenarioError` saying where it breaks."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problem = Problem(str(path), "", f"cannot read the file: {exc.strerror}", "")
        raise ScenarioError([problem]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(str(path), "", f"not UTF-8 text: {exc.reason}", "")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError([yaml_problem(str(path), exc)]) from None
    if not isinstance(data, dict):
        raise ScenarioError(
            [Problem(str(path), "", "a scenario must be a YAML mapping", type(data).__name__)]
        )
    return data


def yaml_problem(file: str, exc: yaml.YAMLError) -> Problem:
    """A YAML syntax error as a :class:`Problem` with line and column."""
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    reason = getattr(exc, "problem", None) or str(exc)
    return Problem(file, where, f"invalid YAML: {reason}", "")


def set_path(data: dict[str, Any], dotted: str, value: Any, file: str) -> None:
    """Set ``value`` at a dotted path in nested mappings and lists (for command-line overrides).

    A list item is picked by position (``shifts.0``) or by its ``name`` (``shifts.night``).
    """
    keys = dotted.split(".")
    node: Any = data
    try:
        for key in keys[:-1]:
            node = (node[list_index(node, key)] if isinstance(node, list)
                    else node.setdefault(key, {}))
        if isinstance(node, list):
            node[list_index(node, keys[-1])] = value
        else:
            node[keys[-1]] = value
    except (ValueError, IndexError, TypeError, AttributeError):
        raise ScenarioError([Problem(file, dotted, "no such field to set", repr(value))]) from None


def number_at(data: Any, dotted: str) -> int | float | None:
    """The number at a dotted path of a dumped scenario, list items picked as in
    :func:`set_path`; ``None`` if there is no number there."""
    node = data
    for key in dotted.split("."):
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, list):
            node = next((item for item in node if isinstance(item, dict)
                         and item.get("name") == key), None)
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            return None
    if isinstance(node, bool) or not isinstance(node, int | float):
        return None
    return node


def list_index(items: list[Any], key: str) -> int:
    """Position of a list item given as a number or as the item's ``name``."""
    if key.lstrip("-").isdigit():
        return int(key)
    names = [item.get("name") if isinstance(item, dict) else None for item in items]
    if key not in names:
        raise ValueError(key)
    return names.index(key)


def validate_scenario(data: dict[str, Any], file: str) -> Scenario:
    """Validate a parsed scenario; structure first, then cross-references."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        errors = independent_errors(exc.errors())
        raise ScenarioError([pydantic_problem(file, err) for err in errors]) from None
    problems = list(check_references(scenario, file))
    if problems:
        raise ScenarioError(problems)
    return scenario


def independent_errors(errors: list[Any]) -> list[Any]:
    """Leave out errors that only follow from another (a list 'too short' because an item of it
    failed), so that each problem is reported once."""
    locations = [tuple(err["loc"]) for err in errors]
    return [
        err for err, loc in zip(errors, locations, strict=True)
        if not (err["type"] == "too_short"
                and any(other[: len(loc)] == loc and other != loc for other in locations))
    ]


def pydantic_problem(file: str, err: Any) -> Problem:
    """A pydantic error as a :class:`Problem`: dotted path, message, the value found."""
    path = ".".join(str(part) for part in err["loc"])
    value = err.get("input")
    shown = "" if isinstance(value, dict) else _short_repr(value)
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown field (check the spelling; see docs/scenario.md)"
    return Problem(file, path, message, shown)


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_references(scenario: Scenario, file: str) -> Iterator[Problem]:
    """Names that must refer to something defined elsewhere in the scenario, and profile shapes."""
    yield from _check_profiles(scenario, file)
    yield from _check_users(scenario, file)
    yield from _check_devices(scenario, file)
    yield from _check_zones(scenario, file)
    yield from check_training(scenario, file)


def _check_profiles(scenario: Scenario, file: str) -> Iterator[Problem]:
    for name, weights in scenario.profiles.items():
        if len(weights) != 24 or sum(weights) <= 0:
            yield Problem(
                file, f"profiles.{name}", "needs 24 hourly weights with a positive sum",
                f"{len(weights)} values",
            )


def _check_users(scenario: Scenario, file: str) -> Iterator[Problem]:
    zones = {z.name for z in scenario.zones}
    for i, user in enumerate(scenario.users):
        for j, kind in enumerate(user.devices):
            if kind not in DEVICE_TYPES:
                yield Problem(
                    file, f"users.{i}.devices.{j}",
                    f"unknown device kind; known: {', '.join(DEVICE_TYPES)}", repr(kind),
                )
        for zone in (user.zones or {}):
            if zone not in zones:
                yield Problem(
                    file, f"users.{i}.zones.{zone}",
                    f"unknown zone; defined: {', '.join(sorted(zones))}", repr(zone),
                )
        if isinstance(user.rate_multiplier, dict):
            for kind in user.rate_multiplier:
                if kind not in user.devices:
                    yield Problem(
                        file, f"users.{i}.rate_multiplier.{kind}",
                        f"not a device kind of this group; it has: {', '.join(user.devices)}",
                        repr(kind),
                    )
        if user.zones is not None and sum(user.zones.values()) <= 0:
            yield Problem(file, f"users.{i}.zones", "weights must have a positive sum", "")


def _check_devices(scenario: Scenario, file: str) -> Iterator[Problem]:
    profiles = set(scenario.profiles) | set(BUILTIN_PROFILES)
    for kind, config in scenario.devices.items():
        if kind not in DEVICE_TYPES:
            yield Problem(
                file, f"devices.{kind}",
                f"unknown device kind; known: {', '.join(DEVICE_TYPES)}", repr(kind),
            )
            continue
        known = DEVICE_TYPES[kind].events
        for event, cfg in config.events.items():
            path = f"devices.{kind}.events.{event}"
            if event not in known:
                yield Problem(
                    file, path, f"unknown event of {kind}; known: {', '.join(known)}", repr(event)
                )
            else:
                yield from _check_event_settings(file, path, cfg, known[event])
            if cfg.profile not in profiles:
                yield Problem(
                    file, f"{path}.profile",
                    f"unknown profile; defined: {', '.join(sorted(profiles))}", repr(cfg.profile),
                )


INCIDENT_SETTINGS = ("priority", "handling", "wrapup", "outcomes", "repeat")


def _check_event_settings(file: str, path: str, cfg: EventConfig,
                          spec: EventSpec) -> Iterator[Problem]:
    """Settings that would be silently ignored for this kind of event."""
    if cfg.interval is not None and not spec.periodic:
        yield Problem(file, f"{path}.interval", "only periodic telemetry has an interval",
                      repr(spec.event))
    if not spec.incident:
        for name in INCIDENT_SETTINGS:
            if getattr(cfg, name) is not None:
                yield Problem(file, f"{path}.{name}",
                              "this event carries information only and opens no incident",
                              repr(spec.event))


def _check_zones(scenario: Scenario, file: str) -> Iterator[Problem]:
    shifts = {s.name for s in scenario.centre.shifts}
    names = [z.name for z in scenario.zones]
    for i, zone in enumerate(scenario.zones):
        if names.count(zone.name) > 1:
            yield Problem(file, f"zones.{i}.name", "zone names must be unique", repr(zone.name))
        if isinstance(zone.field_staff, dict):
            for shift in zone.field_staff:
                if shift not in shifts:
                    yield Problem(
                        file, f"zones.{i}.field_staff.{shift}",
                        f"unknown shift; defined: {', '.join(sorted(shifts))}", repr(shift),
                    )
    shift_names = [s.name for s in scenario.centre.shifts]
    for i, name in enumerate(shift_names):
        if shift_names.count(name) > 1:
            yield Problem(file, f"centre.shifts.{i}.name", "shift names must be unique",
                          repr(name))


def check_centre_receives(scenario: Scenario, file: str) -> Iterator[Problem]:
    """A scenario in which no device ever opens an incident measures and sizes nothing."""
    if scenario.training is not None and scenario.training.script:
        return
    if any(_opens_incidents(scenario, user.devices, user.multiplier_for)
           for user in scenario.users if user.count > 0):
        return
    yield Problem(
        file, "users",
        "the centre would receive no alarm: no user group with a positive count carries a "
        "device with an event that opens an incident (rate_per_day, or at with probability, "
        "above 0); give the groups counts and devices, or use the shipped device profiles "
        "(docs/device-profiles.md)", "",
    )


def _opens_incidents(scenario: Scenario, kinds: tuple[str, ...],
                     multiplier: Callable[[str], float]) -> bool:
    for kind in kinds:
        config = scenario.devices.get(kind)
        if config is None or kind not in DEVICE_TYPES or multiplier(kind) <= 0:
            continue
        specs = DEVICE_TYPES[kind].events
        if any(event in specs and specs[event].incident and cfg.generated and not cfg.interval
               for event, cfg in config.events.items()):
            return True
    return False


def staffing_warnings(scenario: Scenario) -> list[str]:
    """Times of day with fewer operators on duty than ``centre.min_operators`` (IS-2552)."""
    warnings = []
    minimum = scenario.centre.min_operators
    for start, end, count in operators_on_duty(scenario.centre.shifts):
        if count < minimum:
            warnings.append(
                f"{_clock(start)}–{_clock(end)}: {count} operator(s) on duty, fewer than "
                f"{minimum}; running a response centre with one person on duty is not "
                "professionally sound (Helsedirektoratet IS-2552)"
            )
    return warnings


def _clock(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
