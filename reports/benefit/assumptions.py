"""The assumptions of a comparison as a council reads them: a name in words, the value with
its unit, and the source (a public document) or "antakelse" with the reason.

``metrics.json`` lists every assumption by its scenario path (``benefit.costs.hourly_cost``).
Paths are for machines; this module gives each one a name in Bokmål and English and a unit, and
writes its value the way the report writes numbers (``413 kr/time``, ``6,5 %``, ``Ja``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from reports.i18n import format_number, format_share, format_year, label

ASSUMPTION = "assumption"
"""The source of a value nobody has documented (``metrics.json``)."""


@dataclass(frozen=True, slots=True)
class Meaning:
    """What an assumption path means: its name in each language and its unit."""

    pattern: re.Pattern[str]
    nb: str
    en: str
    unit: str


@dataclass(frozen=True, slots=True)
class AssumptionRow:
    """One assumption as shown: name, value, unit and source or reason."""

    path: str
    name: str
    value: str
    unit: str
    source: str
    number: float | None


def _m(pattern: str, nb: str, en: str, unit: str = "") -> Meaning:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^.]+)", pattern.replace(".", r"\."))
    return Meaning(re.compile(regex), nb, en, unit)


MEANINGS: tuple[Meaning, ...] = (
    _m("benefit.hours_per_arsverk", "Arbeidstimer per årsverk", "Working hours per årsverk",
       "h"),
    _m("benefit.purposes.{purpose}.on_site", "Tid i hjemmet per besøk: {purpose}",
       "Time in the home per visit: {purpose}", "min"),
    _m("benefit.purposes.{purpose}.travel", "Reisetid regnes med: {purpose}",
       "Travel time counted: {purpose}", "bool"),
    _m("benefit.purposes.{purpose}.keys", "Nøkler hentes og håndteres: {purpose}",
       "Keys fetched and handled: {purpose}", "bool"),
    _m("benefit.purposes.{purpose}.replaced_by", "Erstattes av: {purpose}",
       "Replaced by: {purpose}", "device"),
    _m("benefit.purposes.{purpose}.replaced_share", "Andel av besøkene som erstattes: {purpose}",
       "Share of the visits replaced: {purpose}", "share"),
    _m("benefit.planned_visits.{profile}.{purpose}",
       "Planlagte besøk per bruker og døgn: {purpose}, {profile}",
       "Planned visits per user and day: {purpose}, {profile}", "per_day"),
    _m("benefit.key_handling", "Nøkkelhåndtering per besøk uten e-lås",
       "Key handling per visit without an e-lock", "min"),
    _m("benefit.key_handling.minutes_per_shift",
       "Nøkkelhåndtering per ansatt per vakt (hjem uten e-lås)",
       "Key handling per employee per shift (homes without an e-lock)", "min"),
    _m("benefit.key_handling.visit_hours_per_shift", "Besøkstimer per ansatt per vakt",
       "Visiting hours per employee per shift", "h"),
    _m("benefit.round_leg_share",
       "Reisetid mellom to besøk i en runde, som andel av reisen fra basen",
       "Travel between two visits of a round, as a share of the trip from the base", "share"),
    _m("benefit.key_handling.lock_rounds_share",
       "Andel av besøkene hos brukere med e-lås i runder helt uten nøkler",
       "Share of the visits to e-lock homes in rounds without any keys", "share"),
    _m("benefit.searches.share", "Andel vandringer som ender i leteaksjon (uten GPS)",
       "Share of wanderings searched for (without GPS)", "share"),
    _m("benefit.searches.staff", "Ansatte per leteaksjon", "Staff per search", "persons"),
    _m("benefit.searches.duration", "Varighet av en leteaksjon", "Duration of a search", "min"),
    _m("benefit.direct_alarms.devices", "Alarmer hjemmetjenesten besvarer selv i dag",
       "Alarms home care answers itself today", "device"),
    _m("benefit.direct_alarms.extra_visit_share",
       "Ekstra besøk på alarm uten responssenterets vurdering",
       "Extra alarm visits without the centre's assessment", "share"),
    _m("benefit.costs.hourly_cost", "Timekostnad i hjemmetjenesten",
       "Home-care cost per hour", "NOK/h"),
    _m("benefit.costs.operator_hourly_cost", "Timekostnad for operatør i responssenteret",
       "Response-centre operator cost per hour", "NOK/h"),
    _m("benefit.costs.centre_share", "Kommunens andel av responssenterets bemanning",
       "The municipality's share of the centre's staffing", "share"),
    _m("benefit.costs.rota_factor", "Turnusfaktor (betalte timer per vakttime)",
       "Rota factor (paid hours per hour on duty)", "factor"),
    _m("benefit.costs.licences_per_year", "Lisenser og alarmmottak", "Licences and alarm "
       "reception", "NOK/yr"),
    _m("benefit.costs.centre_setup", "Etablering av responssenteret (engangs)",
       "Setting up the response centre (one-off)", "NOK"),
    _m("benefit.costs.devices.{device}.rent_per_month", "Leie per enhet: {device}",
       "Rent per device: {device}", "NOK/month"),
    _m("benefit.costs.devices.{device}.installation", "Installasjon per enhet: {device}",
       "Installation per device: {device}", "NOK"),
    _m("benefit.costs.devices.{device}.price", "Innkjøpspris per enhet: {device}",
       "Purchase price per device: {device}", "NOK"),
    _m("benefit.costs.devices.{device}.lifetime_years", "Levetid: {device}",
       "Lifetime: {device}", "years"),
    _m("benefit.home_care_plan.{year}", "Årsverk i hjemmetjenesten {year} (kommunens plan)",
       "Home-care årsverk {year} (municipal plan)", "arsverk"),
    _m("benefit.home_care_totals.year", "Året hjemmetjenestens totaltall gjelder",
       "Year of the home-care totals", "year"),
    _m("benefit.home_care_totals.recipients", "Mottakere av hjemmetjenester i kommunen",
       "Recipients of home services in the municipality", "persons"),
    _m("benefit.home_care_totals.arsverk", "Årsverk i hjemmetjenesten i kommunen",
       "Home-care årsverk in the municipality", "arsverk"),
    _m("benefit.home_care_totals.visits_per_week", "Hjemmebesøk per uke i kommunen",
       "Home visits per week in the municipality", "per_week"),
    _m("benefit.home_care_totals.hours_per_week", "Vedtakstimer per uke i kommunen",
       "Decided hours per week in the municipality", "h_per_week"),
    _m("benefit.economics.first_year", "Første år i analyseperioden",
       "First year of the analysis period", "year"),
    _m("benefit.economics.period_years", "Analyseperiode", "Analysis period", "years"),
    _m("benefit.economics.price_year", "Prisnivå (kroneverdi)", "Price level (year's kroner)",
       "year"),
    _m("benefit.economics.discount_rate", "Kalkulasjonsrente (reell)",
       "Discount rate (real)", "share"),
    _m("benefit.economics.tax_cost", "Skattefinansieringskostnad",
       "Marginal cost of public funds", "share"),
    _m("benefit.economics.one_off.{item}.amount", "Engangskostnad: {item}",
       "One-off cost: {item}", "NOK"),
    _m("benefit.economics.one_off.{item}.year", "År i perioden for engangskostnad: {item}",
       "Year of the period of the one-off cost: {item}", "period_year"),
    _m("benefit.economics.cash_share.{device}",
       "Andel av frigjorte timer som tas ut av budsjettet: {device}",
       "Share of the freed hours taken out of the budget: {device}", "share"),
    _m("benefit.economics.cash_share_default",
       "Andel av andre frigjorte timer som tas ut av budsjettet",
       "Share of other freed hours taken out of the budget", "share"),
    _m("benefit.economics.cash_items.{item}", "Budsjettkostnad som faller bort: {item}",
       "Budget cost that disappears: {item}", "NOK/yr"),
    _m("benefit.economics.ramp_up.{device}", "Innfasing (andel av full effekt per år): {device}",
       "Ramp-up (share of the full effect per year): {device}", "shares"),
    _m("benefit.economics.target", "Svarmål for responssenteret",
       "Answer target of the response centre", "target"),
    _m("benefit.economics.staffing.{year}.{shift}", "Operatører på vakt {year}: {shift}",
       "Operators on duty {year}: {shift}", "persons"),
    _m("devices.{device}.events.{event}.probability",
       "Sannsynlighet for hendelsen: {event} ({device})",
       "Probability of the event: {event} ({device})", "share"),
    _m("growth.base_year", "Basisår for brukertallene", "Base year of the user counts", "year"),
    _m("growth.rate", "Vekst i antall brukere per år", "Growth in users per year", "share"),
    _m("growth.profiles.{profile}", "Vekst per år: {profile}", "Growth per year: {profile}",
       "share"),
)
"""Every assumption path a scenario can have, with its name and unit."""

UNITS: dict[str, dict[str, str]] = {
    "h": {"nb": "timer", "en": "hours"},
    "min": {"nb": "min", "en": "min"},
    "share": {"nb": "%", "en": "%"},
    "shares": {"nb": "%", "en": "%"},
    "per_day": {"nb": "besøk per døgn", "en": "visits a day"},
    "per_week": {"nb": "per uke", "en": "a week"},
    "h_per_week": {"nb": "timer per uke", "en": "hours a week"},
    "persons": {"nb": "personer", "en": "persons"},
    "NOK": {"nb": "kr", "en": "NOK"},
    "NOK/h": {"nb": "kr per time", "en": "NOK an hour"},
    "NOK/yr": {"nb": "kr per år", "en": "NOK a year"},
    "NOK/month": {"nb": "kr per måned", "en": "NOK a month"},
    "years": {"nb": "år", "en": "years"},
    "arsverk": {"nb": "årsverk", "en": "årsverk"},
    "factor": {"nb": "faktor", "en": "factor"},
}
"""The unit column of the assumptions table; a unit not here (a year, yes/no) has none."""

YES_NO = {"nb": ("Ja", "Nei"), "en": ("Yes", "No")}
DISTRIBUTIONS = {
    "lognormal": {"nb": "lognormalfordelt", "en": "lognormal"},
    "exponential": {"nb": "eksponentialfordelt", "en": "exponential"},
    "normal": {"nb": "normalfordelt", "en": "normal"},
    "uniform": {"nb": "jevnt fordelt", "en": "uniform"},
    "triangular": {"nb": "triangelfordelt", "en": "triangular"},
    "gamma": {"nb": "gammafordelt", "en": "gamma"},
    "constant": {"nb": "fast", "en": "constant"},
}
SECONDS_PER = {"s": 1.0, "min": 60.0, "h": 3600.0}


def meaning_of(path: str) -> tuple[Meaning, dict[str, str]] | None:
    """The meaning of a path and the names it holds (purpose, device, ...), if known."""
    for meaning in MEANINGS:
        found = meaning.pattern.fullmatch(path)
        if found:
            return meaning, found.groupdict()
    return None


def assumption_name(path: str, lang: str, names: dict[str, str]) -> str:
    """The assumption's name in words; ``names`` turns a scenario's own names (purposes, user
    profiles) into words. An unknown path is named by its last parts, in words."""
    known = meaning_of(path)
    if known is None:
        parts = path.split(".")[-2:]
        return " – ".join(names.get(p, label(lang, p)).replace("_", " ") for p in parts)
    meaning, groups = known
    words = {k: names.get(v) or label(lang, v) for k, v in groups.items()}
    return (meaning.nb if lang == "nb" else meaning.en).format(**words)


def assumption_unit(path: str) -> str:
    """The unit code of a path; a path not catalogued that names a share or probability is a
    share (``""`` otherwise)."""
    known = meaning_of(path)
    if known:
        return known[0].unit
    last = path.rsplit(".", 1)[-1]
    return "share" if any(w in last for w in ("share", "probability")) else ""


def unit_text(unit: str, lang: str) -> str:
    """The unit as the assumptions table writes it."""
    return UNITS.get(unit, {}).get(lang, "")


def show_value(value: Any, unit: str, lang: str) -> str:
    """An assumption's value in words and Norwegian numbers (no True/False, no raw names)."""
    if isinstance(value, bool):
        return YES_NO[lang][0 if value else 1]
    if isinstance(value, dict) and "kind" in value:
        return show_distribution(value, unit, lang)
    if isinstance(value, list | tuple):
        return ", ".join(show_value(v, unit, lang) for v in value)
    if isinstance(value, str):
        return ", ".join(label(lang, part.strip()) for part in value.split(","))
    if not isinstance(value, int | float):
        return str(value)
    return show_number(float(value), unit, lang)


def show_number(value: float, unit: str, lang: str) -> str:
    """A number by its unit: shares in per cent, years as written, kroner whole."""
    if unit in ("share", "shares"):
        return format_share(value, lang).replace("\u00a0%", "")
    if unit in ("year",):
        return format_year(value)
    if unit in ("period_year",):
        return format_year(value + 1)
    whole = value == int(value)
    return format_number(value, lang, 0 if whole or abs(value) >= 100 else 2)


def show_distribution(value: dict[str, Any], unit: str, lang: str) -> str:
    """A distribution as its mean (and spread) in the row's unit: ``snitt 10
    (lognormalfordelt, standardavvik 4)``."""
    scale = SECONDS_PER.get(str(value.get("unit", "s")), 1.0) / SECONDS_PER.get(unit, 1.0) \
        if unit in SECONDS_PER else 1.0
    kind = str(value["kind"])
    if kind == "constant":
        return show_number(float(value["value"]) * scale, "", lang)
    words = DISTRIBUTIONS.get(kind, {}).get(lang, kind)
    mean = value.get("mean")
    if mean is None:
        return words
    average = "snitt" if lang == "nb" else "mean"
    details = [words]
    if value.get("sd") is not None:
        spread = "standardavvik" if lang == "nb" else "sd"
        details.append(f"{spread} {show_number(float(value['sd']) * scale, '', lang)}")
    return f"{average} {show_number(float(mean) * scale, '', lang)} ({', '.join(details)})"


def source_text(source: str | dict[str, str], lang: str) -> str:
    """The source column: the public document, or "Antakelse" and the reason given; a source
    written in each language is shown in the report's (else in the other)."""
    if isinstance(source, dict):
        source = source.get(lang) or next(iter(source.values()), ASSUMPTION)
    word = "Antakelse" if lang == "nb" else "Assumption"
    if source == ASSUMPTION:
        return word
    found = re.match(r"(?i)(assumption|antakelse|forutsetning)\s*[:;,]?\s*(.*)", source)
    if found:
        reason = found.group(2).strip()
        return f"{word}: {reason}" if reason else word
    return source


def assumption_rows(document: dict[str, Any], lang: str) -> list[AssumptionRow]:
    """Every assumption of ``metrics.json`` as a row of the assumptions table."""
    names = scenario_names(document, lang)
    rows = []
    for item in document["assumptions"]:
        path = str(item["path"])
        unit = assumption_unit(path)
        value = item["value"]
        number = float(value) if isinstance(value, int | float) and not isinstance(
            value, bool) else None
        rows.append(AssumptionRow(path, assumption_name(path, lang, names),
                                  show_value(value, unit, lang), unit_text(unit, lang),
                                  source_text(item["source"], lang), number))
    return rows


def scenario_names(document: dict[str, Any], lang: str) -> dict[str, str]:
    """The scenario's own names in words: purposes by their labels, user profiles by the
    devices they have."""
    names = {p: str(labels.get(lang) or label(lang, p))
             for p, labels in document.get("purposes", {}).items()}
    for profile, about in document.get("profiles", {}).items():
        names[profile] = profile_name(about, lang)
    return names


def profile_name(about: dict[str, Any], lang: str) -> str:
    """A user profile named by its label, else by its devices: "brukere med e-lås og
    medisindispenser"."""
    labels = about.get("labels") or {}
    if labels.get(lang):
        return str(labels[lang])
    devices = [in_sentence(label(lang, d)) if lang == "nb" else label(lang, d)
               for d in about.get("devices", [])]
    joined = join_words(devices, lang)
    return f"brukere med {joined}" if lang == "nb" else f"users with {joined}"


def in_sentence(name: str) -> str:
    """A name as written inside a Bokmål sentence: lower case first letter (``Trygghetsalarm``
    → ``trygghetsalarm``), abbreviations as written (``GPS``)."""
    first = name.split(" ", 1)[0]
    if len(first) > 1 and first.isupper():
        return name
    return name[:1].lower() + name[1:]


def join_words(words: list[str], lang: str) -> str:
    """``a, b og c`` (nb) or ``a, b and c`` (en)."""
    if len(words) < 2:
        return "".join(words)
    last = " og " if lang == "nb" else " and "
    return ", ".join(words[:-1]) + last + words[-1]
