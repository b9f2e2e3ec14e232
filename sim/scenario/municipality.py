"""What a project lead knows about a municipality, and what a scenario derives from it.

``vtsim init`` reads a :class:`Municipality` (from options, prompts or a small YAML file) and
writes a scenario (:mod:`sim.scenario.draft`). This module holds the inputs, their checks, the
public reference rates used when the planned device counts are not known (:data:`ADOPTION`), and
the derivations: device counts, user groups with their device kits (:func:`user_groups`), and the
expected load that gives a first staffing (:func:`expected_load`). Every derived number carries
the text that says where it comes from, written into the scenario's comments.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from devices.contract.catalog import DEVICE_TYPES
from sim.scenario.library import DEFAULT_PROFILE, daily_profiles, device_profile
from sim.scenario.schema import EventConfig

AGE_BANDS = ("67-79", "80-89", "90+")
"""The age bands of the inputs (SSB's usual bands for the elderly)."""

KINDS = ("safety_alarm", "e_lock", "medicine_dispenser", "gps_tracker", "night_supervision")
"""Device kinds in the order a scenario lists them."""

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Count = Annotated[int, Field(ge=0)]


NORWEGIAN_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "å": "aa"})
"""Æ, ø and å in ASCII, for a tenant name."""


def plain_name(text: str, fallback: str) -> str:
    """``text`` as a scenario name: lower-case ASCII letters, digits and ``_``, starting with a
    letter (``Nord-Lier`` → ``nord_lier``, ``Bærum`` → ``baerum``); ``fallback`` if nothing is
    left."""
    plain = text.strip().lower().translate(NORWEGIAN_LETTERS)
    words = "".join(c if c.isascii() and c.isalnum() else " " for c in plain).split()
    name = "_".join(words)[:40]
    if not name:
        return fallback
    return name if name[0].isalpha() else f"z{name}"[:40]


def _band_key(value: str) -> str:
    """``67–79`` (en dash), ``67 - 79`` and ``90 +`` as the canonical band names."""
    return value.replace("–", "-").replace("—", "-").replace(" ", "")


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ZoneInput(_Input):
    """A part of the municipality with its own home-care base."""

    name: Name
    share: float = Field(gt=0, le=1, description="Share of the population living here.")
    drive_minutes: float = Field(gt=0, le=240, description="Typical one-way drive, minutes.")


class HomeCareInput(_Input):
    """The whole home service (*hjemmetjenesten*) in the scenario's year."""

    recipients: int = Field(ge=1, description="Recipients of home services.")
    arsverk: float = Field(gt=0, description="Årsverk of the home service.")


def _bands(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {(_band_key(str(k))): v for k, v in value.items()}
    return value


def _check_bands(value: Mapping[str, Any], complete: bool) -> Mapping[str, Any]:
    unknown = [band for band in value if band not in AGE_BANDS]
    if unknown:
        raise ValueError(f"unknown age band {unknown[0]!r}; the bands are "
                         f"{', '.join(AGE_BANDS)}")
    missing = [band for band in AGE_BANDS if band not in value]
    if complete and missing:
        raise ValueError(f"missing age band {missing[0]!r}; give all of {', '.join(AGE_BANDS)}")
    return value


class Municipality(_Input):
    """The inputs of ``vtsim init``."""

    name: str = Field(min_length=1, max_length=80, description="Scenario name, e.g. 'Bærum 2026'.")
    tenant: Name | None = Field(None, description="Tenant name in topics; default from the name.")
    year: int = Field(2026, ge=2000, le=2100, description="The year the figures describe.")
    inhabitants: int = Field(gt=0, description="Inhabitants in the year.")
    age_bands: dict[str, Count] = Field(description="Inhabitants aged 67-79, 80-89 and 90+.")
    zones: tuple[ZoneInput, ...] = Field(min_length=1, max_length=40)
    home_care: HomeCareInput
    devices: dict[str, Count] = Field(
        default_factory=dict, description="Planned number of each device kind (else derived).")
    adoption: dict[str, dict[str, Annotated[float, Field(ge=0, le=100)]]] = Field(
        default_factory=dict, description="Users per 100 inhabitants of each age band, per kind.")
    growth_rate: float = Field(0.03, gt=-0.5, lt=0.5,
                               description="Growth of the user counts per year.")

    _normalise_bands = field_validator("age_bands", mode="before")(_bands)

    @field_validator("age_bands")
    @classmethod
    def _all_bands(cls, value: dict[str, int]) -> dict[str, int]:
        _check_bands(value, complete=True)
        return value

    @field_validator("adoption", mode="before")
    @classmethod
    def _adoption_bands(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {kind: _bands(rates) for kind, rates in value.items()}
        return value

    @field_validator("adoption")
    @classmethod
    def _adoption_known(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for kind, rates in value.items():
            _check_kind(kind)
            _check_bands(rates, complete=True)
        return value

    @field_validator("devices")
    @classmethod
    def _devices_known(cls, value: dict[str, int]) -> dict[str, int]:
        for kind in value:
            _check_kind(kind)
        return value

    @field_validator("zones")
    @classmethod
    def _zones_add_up(cls, value: tuple[ZoneInput, ...]) -> tuple[ZoneInput, ...]:
        total = sum(z.share for z in value)
        if abs(total - 1.0) > 0.005:
            raise ValueError(f"the zones' shares must sum to 1 (they sum to {total:g})")
        names = [z.name for z in value]
        if len(set(names)) != len(names):
            raise ValueError("zone names must be unique")
        return value

    @model_validator(mode="after")
    def _check_totals(self) -> Municipality:
        if sum(self.age_bands.values()) > self.inhabitants:
            raise ValueError("age_bands: more inhabitants aged 67+ than inhabitants in all")
        return self

    @property
    def tenant_name(self) -> str:
        """The tenant: given, or the name's first word in lower case ASCII."""
        if self.tenant:
            return self.tenant
        words = self.name.split()
        return plain_name(words[0] if words else "", "kommune")

    @property
    def aged_67_plus(self) -> int:
        """Inhabitants aged 67 or more."""
        return sum(self.age_bands.values())


def _check_kind(kind: str) -> None:
    if kind not in DEVICE_TYPES:
        raise ValueError(f"unknown device kind {kind!r}; known: {', '.join(KINDS)}")


@dataclass(frozen=True, slots=True)
class Rate:
    """A reference rate per 100 inhabitants of each age band, with its source."""

    per_100: Mapping[str, float]
    source: str


ADOPTION: Mapping[str, Rate] = {
    "safety_alarm": Rate(
        {"67-79": 4.0, "80-89": 22.0, "90+": 45.0},
        "Statistisk sentralbyrå (SSB), 2016 figures as reported in the local press: 74,217 "
        "safety-alarm users in Norway, ~20 per 100 aged 75+; the split by age band is an "
        "antakelse chosen so that Norway's age structure gives about that total"),
    "gps_tracker": Rate(
        {"67-79": 0.25, "80-89": 1.6, "90+": 3.0},
        "antakelse: dementia in ~4 %, ~25 % and ~48 % of the bands (rising with age as in "
        "Nasjonalt senter for aldring og helse, Forekomst av demens i Norge, HUNT4 70+, 2020: "
        "14.6 % of people aged 70+), about half of them living at home, one in eight of those "
        "with GPS (as in lier-2026.yaml)"),
    "night_supervision": Rate(
        {"67-79": 0.2, "80-89": 1.5, "90+": 4.0},
        "antakelse: places in dementia-adapted care housing with digital night supervision, "
        "rising steeply with age; gives about Lier's 30 flats for its ~4,440 aged 67+ (Lier "
        "kommune, helse-, omsorgs- og velferdsplan fram mot 2026, 2018)"),
}
"""Reference users per 100 inhabitants of each age band, where the planned count is not given."""

RECIPIENT_SHARES: Mapping[str, tuple[float, str]] = {
    "e_lock": (0.20, "antakelse: ~20 % of home-care recipients, those with the most visits, "
               "plus every GPS wearer (as lier-2026.yaml; less key handling is a named gain, "
               "Lier Arbeiderparti, Handlingsprogram 2017-2020)"),
    "medicine_dispenser": (0.10, "antakelse: ~10 % of home-care recipients (as lier-2026.yaml)"),
}
"""E-locks and dispensers follow the home service rather than age, unless rates are given."""

KIT_SHARE = 0.75
"""Share of dispensers in the full home-care kit (alarm, e-lock, dispenser): antakelse, as Lier
(60 of 80); the rest go to users with a dispenser only."""


@dataclass(frozen=True, slots=True)
class DeviceCount:
    """A device kind's planned count and where it comes from."""

    kind: str
    count: int
    source: str


def device_counts(town: Municipality) -> dict[str, DeviceCount]:
    """Every device kind's count: planned, from adoption rates per band, or from the home
    service."""
    counts: dict[str, DeviceCount] = {}
    for kind in ("safety_alarm", "gps_tracker", "night_supervision", "medicine_dispenser",
                 "e_lock"):
        if kind in town.devices:
            counts[kind] = DeviceCount(kind, town.devices[kind], "planned (input)")
        elif kind in town.adoption:
            counts[kind] = _from_rates(town, kind, Rate(town.adoption[kind],
                                                        "adoption rates per age band (input)"))
        elif kind in ADOPTION:
            counts[kind] = _from_rates(town, kind, ADOPTION[kind])
            if kind == "night_supervision":
                counts[kind] = _plus_gps(counts[kind], counts["gps_tracker"].count)
        else:
            share, source = RECIPIENT_SHARES[kind]
            extra = counts["gps_tracker"].count if kind == "e_lock" else 0
            number = round(share * town.home_care.recipients) + extra
            how = f"{share:.0%} of {town.home_care.recipients:,} recipients" + (
                f" + {extra} GPS wearers" if extra else "")
            counts[kind] = DeviceCount(kind, number, f"{how}; {source}")
    return {kind: counts[kind] for kind in KINDS}


def _plus_gps(count: DeviceCount, gps: int) -> DeviceCount:
    """Care-housing places plus the night supervision in the kit of every GPS wearer."""
    return DeviceCount(count.kind, count.count + gps,
                       f"{count.count} care-housing places + {gps} GPS wearers (their kit "
                       f"includes night supervision, as lier-2026.yaml): {count.source}")


def _from_rates(town: Municipality, kind: str, rate: Rate) -> DeviceCount:
    parts = [rate.per_100[band] / 100.0 * town.age_bands[band] for band in AGE_BANDS]
    how = " + ".join(f"{rate.per_100[band]:g}/100 x {town.age_bands[band]:,}"
                     for band in AGE_BANDS)
    return DeviceCount(kind, round(sum(parts)), f"{how}; {rate.source}")


@dataclass(frozen=True, slots=True)
class Group:
    """A user group (*brukergruppe*) of the scenario: one device kit."""

    name: str
    count: int
    devices: tuple[str, ...]
    note: str
    multiplier: Mapping[str, float] = field(default_factory=dict)
    zones: Mapping[str, float] | None = None


def user_groups(counts: Mapping[str, int]) -> list[Group]:
    """Device counts as user groups with the kits of lier-2026.yaml, largest kits first.

    People with dementia at home get the full kit (GPS, alarm, e-lock, night supervision), care
    housing residents an alarm and night supervision, home-care users an alarm, an e-lock and
    maybe a dispenser; devices left over form groups of their own, so every device is used and
    the groups' devices add up to the counts.
    """
    alarms, locks = counts["safety_alarm"], counts["e_lock"]
    gps, night, dispensers = (counts["gps_tracker"], counts["night_supervision"],
                              counts["medicine_dispenser"])
    dementia = min(gps, alarms, locks, night)
    alarms, locks, night = alarms - dementia, locks - dementia, night - dementia
    housing = min(night, alarms)
    alarms -= housing
    kit = min(round(KIT_SHARE * dispensers), locks, alarms)
    alarms, locks = alarms - kit, locks - kit
    lock_users = min(locks, alarms)
    alarms -= lock_users
    groups = [
        Group("alarm_only", alarms, ("safety_alarm",), "safety alarm only, no home nursing"),
        Group("home_care_lock", lock_users, ("safety_alarm", "e_lock"),
              "home nursing with daily visits: alarm + e-lock", {"safety_alarm": 1.2}),
        Group("home_care_kit", kit, ("safety_alarm", "e_lock", "medicine_dispenser"),
              "home nursing with medication: alarm + e-lock + dispenser", {"safety_alarm": 1.2}),
        Group("dispenser_only", dispensers - kit, ("medicine_dispenser",),
              "a dispenser only (e.g. mental health)"),
        Group("dementia_home", dementia,
              ("gps_tracker", "safety_alarm", "e_lock", "night_supervision"),
              "people with dementia living at home", {"safety_alarm": 0.7, "e_lock": 3.0}),
        Group("care_housing_night", housing, ("safety_alarm", "night_supervision"),
              "dementia-adapted care housing with digital night supervision",
              {"safety_alarm": 0.7}),
        Group("gps_only", gps - dementia, ("gps_tracker",), "GPS without the rest of the kit"),
        Group("lock_only", locks - lock_users, ("e_lock",), "an e-lock without a safety alarm"),
        Group("night_only", night - housing, ("night_supervision",),
              "night supervision without a safety alarm"),
    ]
    return [g for g in groups if g.count > 0]


@dataclass(frozen=True, slots=True)
class Load:
    """Expected incidents, operator work and visits by hour of day (from the shipped profiles)."""

    incidents_per_day: float
    operator_hours: tuple[float, ...]
    """Operator work arriving in each hour of the day, hours (Erlang)."""
    visits: tuple[float, ...]
    """Home visits requested in each hour of the day."""


def expected_load(groups: list[Group]) -> Load:
    """The shipped profiles' expected incidents, operator work and visits by hour of day."""
    work = [0.0] * 24
    visits = [0.0] * 24
    incidents = 0.0
    for group in groups:
        for kind in group.devices:
            scale = group.count * group.multiplier.get(kind, 1.0)
            for name, raw in device_profile(kind, DEFAULT_PROFILE).events.items():
                if not DEVICE_TYPES[kind].events[name].incident:
                    continue
                event = EventConfig.model_validate(raw)
                shape = _hourly_shares(event)
                per_day = _per_day(event) * scale
                incidents += per_day
                seconds = (event.handling.mean if event.handling else 180.0) + (
                    event.wrapup.mean if event.wrapup else 90.0)
                visit = (event.outcomes or {}).get("home_visit", 0.0)
                for hour in range(24):
                    work[hour] += per_day * shape[hour] * seconds / 3600.0
                    visits[hour] += per_day * shape[hour] * visit
    return Load(incidents, tuple(work), tuple(visits))


def _per_day(event: EventConfig) -> float:
    if event.at is not None:
        return len(event.at) * (event.probability or 0.0)
    return event.rate_per_day or 0.0


def _hourly_shares(event: EventConfig) -> list[float]:
    """The share of an event's daily count arriving in each hour."""
    if event.at is not None:
        shares = [0.0] * 24
        for clock in event.at:
            hours, minutes = (int(part) for part in clock.split(":"))
            shares[int(((hours * 3600 + minutes * 60 + event.delay) // 3600) % 24)] += 1.0
        return [s / len(event.at) for s in shares]
    weights = daily_profiles().get(event.profile, (1.0,) * 24)
    total = sum(weights)
    return [w / total for w in weights]


SHIFTS = (("day", 7, 15), ("evening", 15, 23), ("night", 23, 7))
"""The usual Norwegian day, evening and night turnus (antakelse), hours of the day."""

TARGET_UTILISATION = 0.7
"""Operators at most 70 % busy in the shift's busiest hour: antakelse, a starting point that
`vtsim size` refines."""

FIELD_UTILISATION = 0.25
"""Field staff at most a quarter busy with alarm visits in the busiest hour: antakelse, they
also do their planned round (gives lier-2026.yaml's two per town zone by day)."""

ON_SITE_MIN = 25.0
"""Mean minutes in the home on an alarm visit (antakelse, as lier-2026.yaml)."""


def shift_hours(start: int, end: int) -> list[int]:
    """The hours of the day a shift covers."""
    return [(start + i) % 24 for i in range((end - start) % 24 or 24)]


def operators_per_shift(load: Load) -> dict[str, int]:
    """Operators per shift: the busiest hour at :data:`TARGET_UTILISATION`, at least 2
    (Helsedirektoratet IS-2552, 2016)."""
    return {name: max(2, math.ceil(max(load.operator_hours[h] for h in shift_hours(a, b))
                                   / TARGET_UTILISATION))
            for name, a, b in SHIFTS}


def field_staff_per_shift(load: Load, share: float, drive_minutes: float) -> dict[str, int]:
    """Field workers of a zone per shift for alarm visits (at least 1)."""
    hours_per_visit = (2.0 * drive_minutes + ON_SITE_MIN) / 60.0
    return {name: max(1, math.ceil(max(load.visits[h] for h in shift_hours(a, b)) * share
                                   * hours_per_visit / FIELD_UTILISATION))
            for name, a, b in SHIFTS}
