"""A new municipality's scenario as commented YAML, derived from :mod:`sim.scenario.municipality`.

The text is written line by line rather than dumped, so that every number carries its source or
the word *antakelse* with the reason, and every derivation is shown in the header, as in the
shipped scenarios. The device settings are the shipped profiles (:mod:`sim.scenario.library`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sim.scenario.municipality import (
    AGE_BANDS,
    FIELD_UTILISATION,
    KINDS,
    KIT_SHARE,
    TARGET_UTILISATION,
    DeviceCount,
    Group,
    Load,
    Municipality,
    device_counts,
    expected_load,
    field_staff_per_shift,
    operators_per_shift,
    user_groups,
)

PLANNED_VISITS = {
    "home_care_lock": ("{care: 1.5}", "antakelse: ~3.5 h a week in the home (SSB, tabell 09933, "
                       "IPLOS, 2019, at Lier's lower level), as lier-2026.yaml"),
    "home_care_kit": ("{care: 1.5, medication: 1.0}",
                      "antakelse: 40 % of visits are medication (Helsedirektoratet, IS-2557, "
                      "2017: Bergen, -38 % visits with dispensers)"),
    "dispenser_only": ("{medication: 1.5}",
                       "antakelse: morning dose daily, evening on half the days"),
    "dementia_home": ("{care: 2.0, night_check: 1.0}",
                      "antakelse: ~5 h a week, one look-in a night"),
    "care_housing_night": ("{night_round: 3.0}", "antakelse: three looks a night"),
}
"""Planned visits per user and day without the technology, per generated group (as Lier)."""


@dataclass(frozen=True, slots=True)
class Staffing:
    """Operators per shift (day, evening, night) and the comment that says where they come
    from."""

    operators: Mapping[str, int]
    source: tuple[str, ...]


def draft_scenario(town: Municipality, today: dt.date | None = None,
                   staffing: Staffing | None = None) -> str:
    """The scenario for ``town``: complete, commented, and valid for ``vtsim check``.

    ``staffing`` gives the operators per shift (``vtsim init`` passes an Erlang C estimate);
    without it the busiest hour of each shift is kept at most 70 % busy."""
    counts = device_counts(town)
    groups = user_groups({k: c.count for k, c in counts.items()})
    load = expected_load(groups)
    parts = [
        _header(town, counts, groups, load, today),
        _run_settings(town),
        _zones(town, load),
        _users(groups),
        _devices(groups),
        _centre(staffing or utilisation_staffing(load)),
        _rest(),
        _benefit(town, groups),
    ]
    return "\n".join(parts)


COMMENT_COLUMN = 35
"""Comments start in this column where the code is short enough, as in the shipped scenarios."""


def _lines(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def _c(code: str, comment: str) -> str:
    """``code`` with its comment, aligned."""
    return f"{code:<{COMMENT_COLUMN - 1}} # {comment}"


def _wrapped(first: str, text: str, indent: str) -> list[str]:
    """A header entry: ``first`` then ``text`` wrapped at 99 columns as comment lines."""
    import textwrap

    return textwrap.wrap(f"{first}{text}", width=99, initial_indent="#   ",
                         subsequent_indent=f"#   {indent}")


def _header(town: Municipality, counts: dict[str, DeviceCount], groups: list[Group],
            load: Load, today: dt.date | None) -> str:
    made = f" on {today.isoformat()}" if today else ""
    out = [
        f"# {town.name}: a municipal response centre (responssenter), written by `vtsim "
        f"init`{made}.",
        "#",
        "# Every number names its source or says \"antakelse\" (assumption) and why. The inputs "
        "are",
        "# the municipality's own figures; replace any antakelse with better local knowledge and",
        "# run `vtsim check` again. Reference of every field: docs/scenario.md; device settings:",
        "# docs/device-profiles.md; the Norwegian guide: docs/nb/egen-kommune.md.",
        "#",
        "# Inputs (the municipality's own figures)",
        "# ---------------------------------------",
        f"#   inhabitants {town.year:<7}{town.inhabitants:>7,}",
    ]
    for band in AGE_BANDS:
        out.append(f"#   aged {band:<14}{town.age_bands[band]:>7,}")
    out += [
        f"#   aged 67+           {town.aged_67_plus:>7,}",
        f"#   home care          {town.home_care.recipients:>7,} recipients, "
        f"{town.home_care.arsverk:g} årsverk",
        "#",
        "# Devices (how each count is derived)",
        "# -----------------------------------",
    ]
    for kind in KINDS:
        count = counts[kind]
        out += _wrapped(f"{kind:<19}{count.count:>7,}  ", count.source, " " * 28)
    out += [
        "#",
        "# User groups: the device kits of lier-2026.yaml (antakelse: the same kinds of users as "
        "in",
        "# Lier): people with dementia at home get GPS, alarm, e-lock and night supervision; care",
        "# housing residents an alarm and night supervision; "
        f"{KIT_SHARE:.0%} of the dispensers",
        "# go with an alarm and an e-lock (Lier: 60 of 80), the rest to dispenser-only users; the",
        "# other e-locks with an alarm; the remaining alarms alone. Devices that do not fit a kit",
        "# form groups of their own, so the groups' devices add up to the counts above.",
        "#",
        f"# Expected load (the shipped device profiles): ~{load.incidents_per_day:,.0f} incidents "
        f"and ~{sum(load.visits):,.1f} home visits",
        f"# a day; busiest hour ~{max(load.operator_hours):.1f} Erlang of operator work. "
        f"{len(groups)} user groups.",
    ]
    return "\n".join(out) + "\n"


def _run_settings(town: Municipality) -> str:
    start = _first_monday(town.year)
    description = (f"{town.name}: {town.inhabitants:,} inhabitants, {town.aged_67_plus:,} aged "
                   f"67+, {len(town.zones)} zone(s), written by vtsim init.")
    return _lines(
        f"name: {_quoted(town.name)}",
        f"description: {_quoted(description)}  # the inputs (header)",
        f"tenant: {town.tenant_name}",
        f"start: {start.isoformat()}    # antakelse: the first Monday after New Year (winter load)",
        "horizon: 28d         # antakelse: four whole weeks, every weekday equally often",
        "warmup: 1d           # antakelse: the centre starts empty; queues fill within hours",
        "replications: 10     # antakelse: enough for confidence intervals of a few per cent",
        "seed: 7              # any fixed seed; results are reproducible with it",
    )


def _quoted(text: str) -> str:
    """A YAML double-quoted string."""
    import json

    return json.dumps(text, ensure_ascii=False)


def _first_monday(year: int) -> dt.date:
    day = dt.date(year, 1, 2)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _zones(town: Municipality, load: Load) -> str:
    out = [
        "# --- zones (soner) ---------------------------------------------------------------------",
        "# share and drive time: the municipality's own figures (input). travel_time: lognormal",
        "#   around the typical drive (antakelse: sd 40 % of the mean, a few trips much longer, as",
        "#   lier-2026.yaml). field_staff: home-care workers free for an alarm visit on top of",
        "#   their round; antakelse: enough that the busiest hour's alarm visits (visits x (2 x",
        f"#   drive + 25 min on site)) fill at most {FIELD_UTILISATION:.0%} of them, at least 1.",
        "zones:",
    ]
    for zone in town.zones:
        staff = field_staff_per_shift(load, zone.share, zone.drive_minutes)
        sd = round(0.4 * zone.drive_minutes, 1)
        out += [
            f"  - name: {zone.name}",
            _c(f"    share: {zone.share:g}", "input"),
            f"    travel_time: {{kind: lognormal, mean: {zone.drive_minutes:g}, sd: {sd:g}, "
            "unit: min}  # mean: input; sd: antakelse",
            _c(f"    field_staff: {{day: {staff['day']}, evening: {staff['evening']}, "
               f"night: {staff['night']}}}", "antakelse: see above"),
        ]
    return "\n".join(out) + "\n"


def _users(groups: list[Group]) -> str:
    out = [
        "# --- users (brukergrupper); counts derived in the header -------------------------------",
        "users:",
    ]
    for group in groups:
        out += [
            _c(f"  - name: {group.name}", group.note),
            _c(f"    count: {group.count}", "derived in the header"),
            f"    devices: [{', '.join(group.devices)}]",
        ]
        if group.multiplier:
            shown = ", ".join(f"{k}: {v:g}" for k, v in group.multiplier.items())
            out.append(f"    rate_multiplier: {{{shown}}}  # antakelse, as lier-2026.yaml: "
                       f"{multiplier_reason(group.multiplier)}")
    return "\n".join(out) + "\n"


MULTIPLIER_REASONS = {
    ("safety_alarm", True): "frailer users press the safety alarm more often",
    ("safety_alarm", False): "people with dementia press the safety alarm less often",
    ("e_lock", True): "people with dementia open the door more often, also at night",
    ("e_lock", False): "the door is opened less often",
}
"""Why a group's device rate is raised (``True``) or lowered against the shipped profile."""


def multiplier_reason(multiplier: Mapping[str, float]) -> str:
    """The reason for each of a group's rate multipliers, matching its direction: ``x1.2``
    reads "more often", ``x0.7`` "less often"."""
    reasons = []
    for kind, factor in multiplier.items():
        if factor == 1:
            continue
        reason = MULTIPLIER_REASONS.get((kind, factor > 1),
                                        f"{kind} {'more' if factor > 1 else 'less'} often")
        reasons.append(f"{reason} (x{factor:g})")
    return "; ".join(reasons) or "the shipped profile's rates"


def _devices(groups: list[Group]) -> str:
    used = [k for k in KINDS if any(k in g.devices for g in groups)]
    out = [
        "# --- devices ---------------------------------------------------------------------------",
        "# vtsim's shipped device profile \"standard\" for every kind: rates, 24-hour profiles,",
        "# operator times and outcomes, each with its source in",
        "# sim/scenario/device_profiles/<kind>/standard.yaml (docs/device-profiles.md). Override",
        "# any value here, e.g. medicine_dispenser: {based_on: standard, events: {dose_missed:",
        "# {probability: 0.04}}}. `vtsim run` writes every value used to scenario.resolved.yaml.",
        "devices:",
    ]
    out += [f"  {kind}: {{based_on: standard}}" for kind in used]
    return "\n".join(out) + "\n"


def utilisation_staffing(load: Load) -> Staffing:
    """Operators with each shift's busiest hour at most :data:`TARGET_UTILISATION` busy."""
    return Staffing(operators_per_shift(load), (
        f"Operators: antakelse, a starting point with the shift's busiest hour at most "
        f"{TARGET_UTILISATION:.0%}",
        "# busy; `vtsim size` finds the fewest that meet a target by simulation.",
    ))


def _centre(staffing: Staffing) -> str:
    operators = staffing.operators
    first, *rest = staffing.source
    return _lines(
        "# --- response centre -------------------------------------------------------------------",
        "# At least two operators on every shift: one person on duty is not professionally sound",
        "# (Helsedirektoratet IS-2552, 2016). Shift times: antakelse, the usual day/evening/night",
        f"# turnus. {first}",
        *rest,
        "centre:",
        "  shifts:",
        f"    - {{name: day, start: \"07:00\", end: \"15:00\", operators: {operators['day']}}}"
        "       # see above",
        f"    - {{name: evening, start: \"15:00\", end: \"23:00\", operators: "
        f"{operators['evening']}}}   # see above",
        f"    - {{name: night, start: \"23:00\", end: \"07:00\", operators: "
        f"{operators['night']}}}     # see above",
        "  min_operators: 2                 # Helsedirektoratet IS-2552 (2016)",
        "  correlation_window: 10min        # antakelse: repeats within 10 min are the same alarm",
        "  defaults:                        # for events without their own settings",
        "    handling: {kind: lognormal, mean: 3, sd: 2, unit: min}     # antakelse: a typical "
        "call",
        "    wrapup: {kind: lognormal, mean: 1.5, sd: 1, unit: min}     # antakelse: a typical "
        "note",
        "    outcomes: {resolved_remotely: 1.0}                         # antakelse: no follow-up",
    )


def _rest() -> str:
    return _lines(
        "# --- message path, visits, targets -----------------------------------------------------",
        "transport:",
        "  latency: {kind: lognormal, mean: 1.5, sd: 1, unit: s}   # antakelse: mobile/IP, seconds",
        "  duplicate_probability: 0.002     # antakelse: rare QoS 1 redelivery after a lost PUBACK",
        "  malformed_probability: 0.0005    # antakelse: rare firmware or radio corruption",
        "  resend_after: 30s                # antakelse: the device retries after 30 s",
        "visits:",
        "  on_site: {kind: lognormal, mean: 25, sd: 12, unit: min}   # antakelse: help up, check",
        "targets:",
        "  answer_within: [20s, 60s, 180s]  # TSA code of practice: 97.5 % in 60 s, 99 % in 180 s",
        "  visit_within: [45min, 60min]     # MASCOT performance report: 90 % in 45, all in 60 min",
        "telemetry: aggregate               # heartbeats, positions and checks are counted",
    )


def _benefit(town: Municipality, groups: list[Group]) -> str:
    paid = town.home_care.arsverk * 1695
    out = [
        "# --- benefit realisation (gevinstrealisering): `vtsim compare` -------------------------",
        "# The baseline arm is home care without the technology: every planned visit is made, "
        "every",
        "# home is opened with a key, safety alarms are answered by home care directly, and people",
        "# with dementia who wander off are searched for without a position. Reference:",
        "# docs/benefit.md. Derived from the inputs (checked by `vtsim check`):",
        f"#   paid hours {town.year}     {town.home_care.arsverk:g} årsverk x 1,695 h"
        f"  ~ {paid:,.0f} h",
        f"#   per recipient       {paid:,.0f} h / {town.home_care.recipients:,} recipients"
        f" ~ {paid / town.home_care.recipients:,.0f} h a year",
        "#   modelled users      the groups with planned visits below (the most visited users)",
        "benefit:",
        "  hours_per_arsverk: 1695          # antakelse: 37.5 h/week, ~1,695 h/yr, a common "
        "planning figure",
        "  # antakelse: a leg between two homes of a round is shorter than a trip from the base;",
        "  # 0.85 makes travel ~60 % of the time in homes, as in Kristiansand's 2018 time study",
        "  # (25 % travel, 41.8 % direct time; Sykepleien, 2019).",
        "  round_leg_share: 0.85",
        "  key_handling:",
        "    minutes_per_shift: 25          # Difi, Bærum kommune: elektronisk nøkkelsystem (~25 "
        "min"
        " per employee per shift)",
        "    visit_hours_per_shift: 5       # 7.5 h x (41.8 % direct + 25 % travel), Kristiansand "
        "2018 (Sykepleien, 2019)",
        "    lock_rounds_share: 0.5         # antakelse: half the e-lock homes' visits in rounds "
        "without keys",
        "  purposes:",
        "    medication:                    # medisinering: a visit only to hand out the doses",
        "      on_site: {kind: lognormal, mean: 10, sd: 4, unit: min}   # antakelse: a short visit",
        "      replaced_by: medicine_dispenser",
        "      replaced_share: 1.0          # a stand-alone medication visit; escalations are "
        "simulated",
        "      labels: {nb: Medisinering, en: Medication}",
        "    care:                          # stell og praktisk hjelp: stays in both arms",
        "      on_site: {kind: lognormal, mean: 20, sd: 10, unit: min}  # antakelse: SSB, tabell "
        "09933 (IPLOS, 2019), scaled",
        "      labels: {nb: Stell og omsorg, en: Personal care}",
        "    night_check:                   # nattlig tilsyn hjemme: a drive out at night",
        "      on_site: {kind: lognormal, mean: 8, sd: 4, unit: min}    # antakelse: look in, "
        "check",
        "      replaced_by: night_supervision",
        "      replaced_share: 0.8          # antakelse: some night visits also give care and stay",
        "      labels: {nb: Nattilsyn hjemme, en: Night check at home}",
        "    night_round:                   # nattrunde i omsorgsbolig: no driving",
        "      on_site: {kind: lognormal, mean: 5, sd: 2, unit: min}    # antakelse: open the door,"
        " look in",
        "      travel: false                # staff are in the building",
        "      keys: false                  # antakelse: night staff carry the building's keys",
        "      replaced_by: night_supervision",
        "      labels: {nb: Nattrunde i omsorgsbolig, en: Night round in care housing}",
        "  planned_visits:                  # separate visits per user per day in the baseline",
    ]
    names = {g.name for g in groups}
    planned = [(name, visits) for name, visits in PLANNED_VISITS.items() if name in names]
    for name, (visits, source) in planned:
        out += [f"    # {source}", f"    {name}: {visits}"]
    if not planned:
        out[-1] += " (none: no group with home-care visits)"
        out.append("    {}")
    out += [
        "  home_care_totals:                # the whole home service (input)",
        f"    year: {town.year}",
        _c(f"    recipients: {town.home_care.recipients}", "input"),
        _c(f"    arsverk: {town.home_care.arsverk:g}", "input"),
        "  searches:                        # missing persons without GPS (leteaksjon)",
        "    share: 0.6                     # antakelse: most wanderings are noticed and searched",
        "    staff: 2                       # antakelse: two staff search together",
        "    duration: {kind: lognormal, mean: 90, sd: 60, unit: min}   # antakelse: no position",
        "  direct_alarms:                   # without a centre home care answers the alarms",
        "    devices: [safety_alarm]",
        "    extra_visit_share: 0.15        # antakelse: without a centre's assessment, more "
        "visits",
        "  costs:",
        "    hourly_cost: 413               # antakelse: 700,000 NOK per årsverk / 1,695 h, Lier's "
        "figure (Lier Arbeiderparti, Handlingsprogram 2017-2020)",
        "    operator_hourly_cost: 413      # antakelse: operators are health workers on the same "
        "pay",
        "    centre_share: 1.0              # antakelse: the municipality runs its own centre",
        "    licences_per_year: 300000      # antakelse: response-centre software, as "
        "lier-2026.yaml",
        "    centre_setup: 500000           # antakelse: rooms, equipment, training",
        "    rota_factor: 1.14              # antakelse: sick leave ~10 % and courses ~2 %: "
        "1 / (1 - 0.12)",
        "    devices:                       # antakelse: rent and installation as lier-2026.yaml; "
        "5-year life",
        "      e_lock: {rent_per_month: 150, installation: 3000, lifetime_years: 5}  # antakelse",
        "      medicine_dispenser: {rent_per_month: 900, installation: 1000, lifetime_years: 5}  "
        "# antakelse",
        "      gps_tracker: {rent_per_month: 300, installation: 300, lifetime_years: 5}  # "
        "antakelse",
        "      night_supervision: {rent_per_month: 600, installation: 2000, lifetime_years: 5}  "
        "# antakelse",
        "  economics:                       # cost-benefit method: docs/benefit.md",
        "    period_years: 10               # antakelse: two generations of devices (5-year life)",
        _c(f"    price_year: {town.year}", f"every amount in {town.year} kroner"),
        "    discount_rate: 0.04            # kalkulasjonsrente, R-109/2021 (Finansdepartementet, "
        "2021)",
        "    tax_cost: 0.20                 # skattekostnad, R-109/2021 (Finansdepartementet, "
        "2021)",
        "    target: answer 97.5% within 60s  # TSA code of practice: 97.5 % within 60 s",
        "    cash_share_default: 0.0        # antakelse: freed time meets growth in need",
        *_sensitivity(names),
        *_sources(town, [name for name, _ in planned]),
        "",
        "growth:                            # demography for --years",
        _c(f"  base_year: {town.year}", "the counts above"),
        _c(f"  rate: {town.growth_rate:g}", "input" if "growth_rate" in town.model_fields_set
           else "antakelse: ~3 % a year as the 80+ group grows; use the municipality's "
           "projection"),
    ]
    return "\n".join(out) + "\n"


SENSITIVITY: tuple[tuple[str, float, float, str, str], ...] = (
    ("benefit.costs.hourly_cost", 350, 500, "Timekostnad hjemmetjenesten",
     "Home-care hourly cost"),
    ("benefit.key_handling.minutes_per_shift", 10, 40,
     "Nøkkelhåndtering per ansatt per vakt", "Key handling per employee per shift"),
    ("benefit.key_handling.lock_rounds_share", 0.0, 1.0,
     "Andel e-låsbesøk i nøkkelfrie ruter", "Share of e-lock visits in key-free rounds"),
    ("benefit.purposes.medication.on_site.mean", 5, 15, "Tid per medisinbesøk",
     "Time per medication visit"),
    ("benefit.purposes.medication.replaced_share", 0.7, 1.0, "Andel medisinbesøk erstattet",
     "Share of medication visits replaced"),
    ("benefit.purposes.night_check.replaced_share", 0.5, 1.0,
     "Andel nattilsyn hjemme erstattet", "Share of night checks at home replaced"),
    ("benefit.searches.share", 0.3, 0.9, "Andel vandringer med leteaksjon",
     "Share of wanderings searched for"),
    ("benefit.direct_alarms.extra_visit_share", 0.05, 0.3,
     "Ekstra alarmbesøk uten responssenter", "Extra alarm visits without a centre"),
    ("benefit.costs.licences_per_year", 150000, 600000, "Lisenser per år",
     "Licences per year"),
)
"""The uncertain assumptions ``init`` varies, with Lier's ranges (lier-2026.yaml)."""


def _sensitivity(groups: set[str]) -> list[str]:
    """``benefit.sensitivity``: a plausible range around each assumption, as lier-2026.yaml;
    night rounds only where the scenario has care housing."""
    items = list(SENSITIVITY)
    if "care_housing_night" in groups:
        items.append(("benefit.planned_visits.care_housing_night.night_round", 2, 4,
                      "Nattrunder per natt", "Night rounds per night"))
    out = [
        "  # antakelse: plausible ranges around the assumptions above (the ranges of",
        "  # lier-2026.yaml), varied one at a time (tornado) and drawn together (PSA) by",
        "  # `vtsim compare`; narrow them with the municipality's own knowledge.",
        "  sensitivity:",
    ]
    for path, low, high, nb, en in items:
        out.append(f"    - {{path: {path}, low: {low:g}, high: {high:g}, "
                   f"labels: {{nb: {nb}, en: {en}}}}}  # antakelse: range")
    return out


OWN_FIGURES = {"nb": "kommunens egne tall (inndata til vtsim init)",
               "en": "the municipality's own figures (input to vtsim init)"}
"""The source of a number the municipality gave ``vtsim init``."""

R109 = "Finansdepartementet, rundskriv R-109/2021 (2021)"

SOURCES: dict[str, tuple[str, str]] = {
    "hours_per_arsverk": (
        "antakelse: 37,5 timer i uka; om lag 1 695 timer i året er et vanlig planleggingstall",
        "antakelse: 37.5 h/week, ~1,695 h/yr (a common planning figure)"),
    "round_leg_share": (
        "antakelse: reisen er om lag 60 % av tiden i hjemmene, som i Kristiansand 2018 "
        "(Sykepleien, 2019: 25 % reise, 41,8 % direkte tid)",
        "antakelse: travel ~60 % of time in homes, as in Kristiansand 2018 (Sykepleien, 2019: "
        "25 % travel, 41.8 % direct)"),
    "key_handling.minutes_per_shift": (
        "Difi, Bærum kommune: elektronisk nøkkelsystem (om lag 25 min per ansatt per vakt)",
        "Difi, Bærum kommune: elektronisk nøkkelsystem (~25 min per employee per shift)"),
    "key_handling.visit_hours_per_shift": (
        "Sykepleien (2019), Hjemmetjenesten i Kristiansand er hos brukerne i bare 42 prosent "
        "av arbeidstiden: 41,8 % direkte tid og 25 % reise av en vakt på 7,5 timer",
        "Sykepleien (2019), Hjemmetjenesten i Kristiansand er hos brukerne i bare 42 prosent "
        "av arbeidstiden: 41.8 % direct, 25 % travel of a 7.5 h shift"),
    "key_handling.lock_rounds_share": (
        "antakelse: halvparten av besøkene hos brukere med e-lås går i runder uten nøkler",
        "antakelse: half of the e-lock homes' visits in rounds without keys"),
    "purposes": (
        "antakelse: besøkenes varighet og hva teknologien erstatter, som i lier-2026.yaml",
        "antakelse: visit durations and what the technology replaces, as lier-2026.yaml"),
    "purposes.care.on_site": (
        "antakelse skalert fra SSB, tabell 09933 (IPLOS 2019): 4,2–4,5 timer i uka for "
        "80–89-åringer",
        "antakelse scaled from SSB table 09933 (IPLOS 2019): 4.2-4.5 h a week for "
        "80-89-year-olds"),
    "searches": (
        "antakelse: de fleste vandringer blir oppdaget og lett etter av to ansatte uten "
        "posisjon",
        "antakelse: most wanderings are noticed and searched for by two staff without a "
        "position"),
    "direct_alarms": (
        "antakelse: uten responssenter tar hjemmetjenesten imot trygghetsalarmene og rykker "
        "oftere ut",
        "antakelse: without a centre home care answers the safety alarms and drives out more "
        "often"),
    "costs": (
        "antakelse: leie og installasjon av enhetene som i lier-2026.yaml; 5 års levetid",
        "antakelse: device rent and installation as lier-2026.yaml; 5-year life"),
    "costs.hourly_cost": (
        "Lier Arbeiderparti, Handlingsprogram 2017–2020: 700 000 kr per årsverk delt på "
        "1 695 timer (Liers tall; bruk kommunens egen lønnskostnad)",
        "Lier Arbeiderparti, Handlingsprogram 2017-2020: 700,000 NOK per årsverk / 1,695 h "
        "(Lier's figure; use the municipality's own pay cost)"),
    "costs.operator_hourly_cost": (
        "antakelse: operatørene er helsearbeidere med samme lønn som i hjemmetjenesten",
        "antakelse: operators are health workers on home care's pay"),
    "costs.centre_share": ("antakelse: kommunen driver sitt eget responssenter",
                           "antakelse: the municipality runs its own centre"),
    "costs.licences_per_year": ("antakelse: programvare for responssenteret, som i "
                                "lier-2026.yaml",
                                "antakelse: response-centre software, as lier-2026.yaml"),
    "costs.centre_setup": ("antakelse: lokaler, utstyr og opplæring",
                           "antakelse: rooms, equipment, training"),
    "costs.rota_factor": (
        "antakelse: 1 / (1 − 0,12) for sykefravær og kurs",
        "antakelse: 1 / (1 - 0.12) for sick leave and courses"),
    "economics.period_years": (
        "antakelse: to generasjoner utstyr med 5 års levetid",
        "antakelse: two generations of devices with a 5-year life"),
    "economics.discount_rate": (f"{R109}: 4 % kalkulasjonsrente",
                                f"{R109}: 4 % discount rate"),
    "economics.tax_cost": (f"{R109}: 20 % skattefinansieringskostnad",
                           f"{R109}: 20 % tax cost"),
    "economics.target": (
        "TSA (TEC Services Association), code of practice: 97,5 % besvart innen 60 s",
        "TSA (TEC Services Association), code of practice: 97.5 % within 60 s"),
    "economics.cash_share_default": (
        "antakelse: frigjort tid møter økt behov og blir ikke spart i kroner",
        "antakelse: freed time meets growth in need and is not saved in cash"),
}
"""``benefit.sources`` of ``init``'s numbers (path relative to ``benefit``): a public document
by title, publisher and year, or ``antakelse`` and the reason."""


def _sources(town: Municipality, planned: list[str]) -> list[str]:
    """``benefit.sources``: every number's source in Bokmål and English, so that the report
    shows public documents and the municipality's own figures as such."""
    entries = dict(SOURCES)
    for name in planned:
        entries[f"planned_visits.{name}"] = PLANNED_SOURCES[name]
    own = (OWN_FIGURES["nb"], OWN_FIGURES["en"])
    entries["home_care_totals"] = own
    entries["economics.price_year"] = (f"året for kommunens egne tall; alle beløp i "
                                       f"{town.year}-kroner",
                                       f"the year of the municipality's own figures; every "
                                       f"amount in {town.year} kroner")
    entries["growth.base_year"] = entries["economics.price_year"]
    entries["growth.rate"] = own if "growth_rate" in town.model_fields_set else (
        "antakelse: om lag 3 % i året når 80+ vokser; bruk kommunens egen framskriving",
        "antakelse: ~3 % a year as the 80+ group grows; use the municipality's projection")
    out = ["  sources:                         # {nb, en}: the report shows its own language"]
    for path, (nb, en) in entries.items():
        out += [f"    {path}:", f"      nb: {_quoted(nb)}", f"      en: {_quoted(en)}"]
    return out


PLANNED_SOURCES: dict[str, tuple[str, str]] = {
    "home_care_lock": (
        "antakelse: om lag 3,5 timer i uka i hjemmet (SSB, tabell 09933, IPLOS, 2019), som i "
        "lier-2026.yaml",
        "antakelse: ~3.5 h a week in the home (SSB, table 09933, IPLOS, 2019), as "
        "lier-2026.yaml"),
    "home_care_kit": (
        "antakelse: 40 % av besøkene er medisinbesøk (Helsedirektoratet, IS-2557, 2017: "
        "Bergen fikk 38 % færre besøk)",
        "antakelse: 40 % of visits are medication (Helsedirektoratet, IS-2557, 2017: Bergen, "
        "-38 % visits)"),
    "dispenser_only": ("antakelse: morgendose hver dag, kveldsdose halvparten av dagene",
                       "antakelse: morning dose daily, evening on half the days"),
    "dementia_home": ("antakelse: om lag 5 timer i uka og ett tilsyn hver natt",
                      "antakelse: ~5 h a week, one look-in a night"),
    "care_housing_night": ("antakelse: tre tilsyn hver natt",
                           "antakelse: three looks a night"),
}
"""``benefit.sources`` of the planned visits per generated group."""
