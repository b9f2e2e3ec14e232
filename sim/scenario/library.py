"""Shipped device profiles: the settings of each device kind, named, documented and shared.

A device profile holds one device kind's events (rates, 24-hour profiles, operator times,
outcomes, repeats), each number with its source. The profiles ship with vtsim as package data in
``sim/scenario/device_profiles/<kind>/<name>.yaml``; the 24-hour profiles they name are in
``device_profiles/daily.yaml``. A scenario uses one with ``devices.<kind>.based_on: <name>``
and overrides any part of it (a deep merge, :func:`merge_settings`); a device kind that a user
group carries and the scenario leaves out gets the profile :data:`DEFAULT_PROFILE`. Resolution
works on the parsed YAML, before validation, so that every value used is in the validated
scenario and in ``scenario.resolved.yaml``, and every unknown key is still reported with its
field path. Reference: docs/device-profiles.md.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from devices.contract.catalog import DEVICE_TYPES
from sim.errors import Problem, ScenarioError

DEFAULT_PROFILE = "standard"
"""The shipped profile a device kind gets when the scenario gives it no settings."""

REPLACED_WHOLE = frozenset({"outcomes"})
"""Keys whose mappings an override replaces rather than merges (probabilities that sum to 1)."""

PROFILE_KEYS = frozenset({"device", "events"})
"""The keys of a device profile file."""


@dataclass(frozen=True, slots=True)
class DeviceProfile:
    """One shipped device profile: its kind, name and event settings (parsed YAML)."""

    kind: str
    name: str
    events: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ProfileUse:
    """Where a device kind's settings came from, for ``vtsim check``."""

    kind: str
    profile: str
    implicit: bool
    """Whether the scenario had no settings for the kind at all."""
    changed: bool = False
    """Whether the scenario overrides some of the profile's settings."""

    def describe(self) -> str:
        """One line for the terminal."""
        where = f"sim/scenario/device_profiles/{self.kind}/{self.profile}.yaml"
        if self.implicit:
            return (f"devices.{self.kind}: the scenario has no settings; the shipped profile "
                    f"'{self.profile}' applies ({where})")
        changes = " with the scenario's changes" if self.changed else ", unchanged"
        return f"devices.{self.kind}: shipped profile '{self.profile}'{changes}"


def _data_root() -> Any:
    return resources.files("sim.scenario").joinpath("device_profiles")


def profile_names(kind: str) -> tuple[str, ...]:
    """The shipped profiles of a device kind."""
    folder = _data_root().joinpath(kind)
    if not folder.is_dir():
        return ()
    return tuple(sorted(entry.name.removesuffix(".yaml") for entry in folder.iterdir()
                        if entry.name.endswith(".yaml")))


@cache
def device_profile(kind: str, name: str) -> DeviceProfile:
    """The shipped profile ``name`` of ``kind``; :class:`KeyError` if there is none."""
    if name not in profile_names(kind):
        raise KeyError(name)
    text = _data_root().joinpath(kind, f"{name}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or set(data) != PROFILE_KEYS or data["device"] != kind:
        raise ValueError(f"shipped device profile {kind}/{name} is malformed")
    return DeviceProfile(kind, name, data["events"])


@cache
def daily_profiles() -> Mapping[str, tuple[float, ...]]:
    """The shipped 24-hour profiles that device profiles name."""
    text = _data_root().joinpath("daily.yaml").read_text(encoding="utf-8")
    return {name: tuple(weights) for name, weights in yaml.safe_load(text)["profiles"].items()}


def merge_settings(base: Any, override: Any, key: str = "") -> Any:
    """``override`` laid over ``base``: mappings merge key by key, recursively; anything else
    (numbers, lists such as ``at``) is replaced. Exceptions: ``outcomes``, and a distribution
    given with its ``kind``, replace the base's whole. A ``null`` in ``override`` removes the key
    (the field's default then applies). Neither argument is changed."""
    if not isinstance(base, dict) or not isinstance(override, dict) or key in REPLACED_WHOLE \
            or "kind" in override:
        return copy.deepcopy(override)
    merged = copy.deepcopy(base)
    for name, value in override.items():
        if value is None:
            merged.pop(name, None)
        elif name in merged:
            merged[name] = merge_settings(merged[name], value, name)
        else:
            merged[name] = copy.deepcopy(value)
    return merged


def apply_device_profiles(data: dict[str, Any], file: str,
                          only_missing: bool = False) -> list[ProfileUse]:
    """Resolve the shipped profiles of a parsed scenario in place; say which were used.

    Entries with ``based_on`` get the named profile with their own settings laid over it; device
    kinds carried by a user group and absent from ``devices`` get :data:`DEFAULT_PROFILE`
    (``only_missing``: only those). The 24-hour profiles the resolved events name are added to
    ``profiles`` unless the scenario defines them.
    """
    devices = data.get("devices")
    if devices is None:
        devices = data["devices"] = {}
    if not isinstance(devices, dict):
        return []
    problems: list[Problem] = []
    uses: list[ProfileUse] = []
    if not only_missing:
        for kind, entry in devices.items():
            if isinstance(entry, dict) and entry.get("based_on") is not None:
                use = _resolve_named(devices, kind, entry, file, problems)
                if use:
                    uses.append(use)
    for kind in _carried_kinds(data):
        if devices.get(kind) is None:  # absent, or a bare `kind:` with nothing under it
            devices[kind] = _resolved_entry(device_profile(kind, DEFAULT_PROFILE), {})
            uses.append(ProfileUse(kind, DEFAULT_PROFILE, implicit=True))
    if problems:
        raise ScenarioError(problems)
    _add_daily_profiles(data, [use.kind for use in uses])
    return uses


def _resolve_named(devices: dict[str, Any], kind: str, entry: dict[str, Any], file: str,
                   problems: list[Problem]) -> ProfileUse | None:
    name = entry["based_on"]
    if kind not in DEVICE_TYPES:
        return None  # validation reports the unknown kind
    try:
        profile = device_profile(kind, str(name))
    except KeyError:
        shipped = ", ".join(profile_names(kind)) or "none"
        problems.append(Problem(file, f"devices.{kind}.based_on",
                                f"no shipped profile of that name for {kind}; shipped: {shipped}",
                                repr(name)))
        return None
    devices[kind] = _resolved_entry(profile, entry)
    return ProfileUse(kind, profile.name, implicit=False, changed=set(entry) != {"based_on"})


def _resolved_entry(profile: DeviceProfile, entry: dict[str, Any]) -> dict[str, Any]:
    """The profile's events with the entry's laid over them, and the entry's other keys."""
    resolved = {key: copy.deepcopy(value) for key, value in entry.items() if key != "events"}
    resolved["based_on"] = profile.name
    own = entry.get("events")
    base = dict(profile.events)
    resolved["events"] = merge_settings(base, own) if isinstance(own, dict) else (
        copy.deepcopy(base) if own is None else copy.deepcopy(own))
    return resolved


def _carried_kinds(data: dict[str, Any]) -> Iterator[str]:
    """Known device kinds that some user group carries, in first-seen order."""
    seen: set[str] = set()
    users = data.get("users")
    for group in users if isinstance(users, list) else ():
        kinds = group.get("devices") if isinstance(group, dict) else None
        for kind in kinds if isinstance(kinds, list) else ():
            if isinstance(kind, str) and kind in DEVICE_TYPES and kind not in seen:
                seen.add(kind)
                yield kind


def _add_daily_profiles(data: dict[str, Any], kinds: list[str]) -> None:
    """The shipped 24-hour profiles named by the resolved kinds' events, where missing."""
    shipped = daily_profiles()
    profiles = data.setdefault("profiles", {})
    if not isinstance(profiles, dict):
        return
    for kind in kinds:
        events = data["devices"][kind].get("events")
        for event in events.values() if isinstance(events, dict) else ():
            name = event.get("profile") if isinstance(event, dict) else None
            if isinstance(name, str) and name in shipped and name not in profiles:
                profiles[name] = list(shipped[name])
