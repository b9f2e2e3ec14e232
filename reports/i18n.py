"""Words and number formats of the benefit report in Bokmål (``nb``) and English (``en``).

Norwegian numbers group thousands with a (non-breaking) space and use a decimal comma:
``1 234 567 kr``, ``12,5 %``. Formatting is babel's, with the ``nb_NO`` and ``en_GB`` locales.
"""

from __future__ import annotations

import math
from typing import Literal

from babel.numbers import format_decimal

Lang = Literal["nb", "en"]
LOCALES: dict[str, str] = {"nb": "nb_NO", "en": "en_GB"}

TEXT: dict[str, dict[str, str]] = {
    "nb": {
        "title": "Gevinstrealisering: velferdsteknologi og responssenter",
        "intro": "Sammenligning av hjemmetjenesten uten teknologien (nullalternativet) og med "
                 "trygghetsalarm, e-lås, medisindispenser, GPS, digitalt tilsyn og et "
                 "responssenter (teknologialternativet), på felles tilfeldige tall. Hver gevinst "
                 "er forskjellen mellom de to alternativene i hver replikasjon, med 95 % "
                 "konfidensintervall.",
        "gain_kinds": "Gevinstene følger Helsedirektoratets tre kategorier: økt kvalitet, spart "
                      "tid og unngåtte kostnader.",
        "scenario": "Scenario", "seed": "Frø (seed)", "replications": "Replikasjoner",
        "version": "vtsim-versjon", "window": "Måleperiode (døgn)", "year": "År",
        "indicator": "Indikator", "value": "Verdi", "ci": "± 95 % KI",
        "baseline": "Uten teknologi", "technology": "Med teknologi", "saved": "Spart",
        "per_week": "per uke", "per_year": "per år",
        "t_summary": "Hovedtall", "t_visits": "Hjemmebesøk per uke etter formål",
        "t_devices": "Sparte hjemmebesøk per uke etter teknologi",
        "t_hours": "Personaltimer i hjemmetjenesten per år",
        "t_costs": "Kostnader og gevinst (kr)", "t_quality": "Kvalitet",
        "t_years": "Plan per år", "t_sensitivity": "Følsomhet: netto gevinst per år (kr)",
        "t_assumptions": "Forutsetninger og kilder", "t_run": "Om kjøringen",
        "visits_saved_week": "Sparte hjemmebesøk per uke",
        "visits_saved_year": "Sparte hjemmebesøk per år",
        "hours_saved_year": "Sparte personaltimer per år",
        "arsverk_freed": "Frigjorte årsverk",
        "avoided": "Unngåtte kostnader per år", "running": "Driftskostnader per år",
        "rent": "Leie av utstyr per år", "licences": "Lisenser per år",
        "centre_staff": "Bemanning av responssenteret per år",
        "one_off": "Engangskostnader (installasjon, oppstart)",
        "one_off_in_year": "Engangskostnader i året",
        "net": "Netto gevinst per år", "cumulative": "Akkumulert netto gevinst",
        "payback": "Inntjeningstid (år)", "users": "Brukere",
        "operator_arsverk": "Årsverk i responssenteret",
        "plan_arsverk": "Årsverk i hjemmetjenesten (kommunens framskrivning)",
        "with_tech_arsverk": "Årsverk i hjemmetjenesten med teknologi",
        "answer_mean": "Gjennomsnittlig svartid (s)",
        "answer_within": "Andel alarmer besvart innen {t}",
        "visit_mean": "Gjennomsnittlig responstid for utrykning (min)",
        "visit_within": "Andel utrykninger fremme innen {t}",
        "missed_caught": "Glemte doser fanget opp per uke",
        "missed_answer": "Svartid for glemte doser (s)",
        "missed_visit": "Andel glemte doser som endte i besøk",
        "gps_found": "Personer funnet med GPS per år",
        "gps_time": "Tid til personen er funnet med GPS (min)",
        "search_count": "Leteaksjoner uten GPS per år",
        "search_time": "Tid til personen er funnet uten GPS (min)",
        "parameter": "Forutsetning", "low": "Lav", "high": "Høy",
        "net_low": "Netto ved lav", "net_high": "Netto ved høy", "source": "Kilde",
        "path": "Parameter",
        "travel": "Reise", "on_site": "Tid i hjemmet", "key_handling": "Nøkkelhåndtering",
        "alarm_answering": "Besvare alarmer", "search": "Leting etter savnede",
        "alarm": "Utrykning på alarm", "total": "Totalt",
        "safety_alarm": "Trygghetsalarm", "gps_tracker": "GPS (lokaliseringsteknologi)",
        "e_lock": "E-lås", "medicine_dispenser": "Medisindispenser",
        "night_supervision": "Digitalt tilsyn",
        "c_answer": "Svartid i responssenteret mot mål",
        "c_answer_x": "Svartid (sekunder)", "c_answer_y": "Andel alarmer",
        "c_target": "mål {t}",
        "c_load": "Belastning per time mot bemanning",
        "c_load_x": "Time på døgnet", "c_load_y": "Operatører",
        "c_busy": "Opptatte operatører (snitt)", "c_on_duty": "Operatører på vakt",
        "c_devices": "Sparte hjemmebesøk per uke etter teknologi",
        "c_devices_x": "Besøk per uke (negativ: flere besøk)",
        "c_yearly": "Gevinst og kostnad per år", "c_yearly_y": "Millioner kr",
        "c_tornado": "Følsomhet: netto gevinst per år", "c_tornado_x": "Millioner kr per år",
        "c_base": "Basis", "no_sensitivity": "Scenarioet angir ingen følsomhetsanalyse.",
        "assumption": "forutsetning",
        "note_baseline": "Svartider og utrykningstider gjelder responssenteret "
                         "(teknologialternativet); i nullalternativet svarer hjemmetjenesten "
                         "selv, og svartiden er ikke modellert.",
        "charts": "Figurer", "tables": "Tabeller",
    },
    "en": {
        "title": "Benefit realisation: welfare technology and a response centre",
        "intro": "Comparison of home care without the technology (the baseline) and with safety "
                 "alarms, e-locks, medicine dispensers, GPS, digital night supervision and a "
                 "response centre (the technology arm), on common random numbers. Every gain is "
                 "the difference between the two arms within each replication, with a 95 % "
                 "confidence interval.",
        "gain_kinds": "The gains follow the Norwegian Directorate of Health's three kinds: better "
                      "quality, saved time and avoided costs.",
        "scenario": "Scenario", "seed": "Seed", "replications": "Replications",
        "version": "vtsim version", "window": "Measurement window (days)", "year": "Year",
        "indicator": "Indicator", "value": "Value", "ci": "± 95 % CI",
        "baseline": "Without technology", "technology": "With technology", "saved": "Saved",
        "per_week": "per week", "per_year": "per year",
        "t_summary": "Key figures", "t_visits": "Home visits per week by purpose",
        "t_devices": "Home visits saved per week by technology",
        "t_hours": "Home-care staff hours per year",
        "t_costs": "Costs and gain (NOK)", "t_quality": "Quality",
        "t_years": "Plan by year", "t_sensitivity": "Sensitivity: net gain per year (NOK)",
        "t_assumptions": "Assumptions and sources", "t_run": "About this run",
        "visits_saved_week": "Home visits saved per week",
        "visits_saved_year": "Home visits saved per year",
        "hours_saved_year": "Staff hours saved per year",
        "arsverk_freed": "Full-time equivalents (årsverk) freed",
        "avoided": "Avoided costs per year", "running": "Running costs per year",
        "rent": "Device rent per year", "licences": "Licences per year",
        "centre_staff": "Response-centre staffing per year",
        "one_off": "One-off costs (installation, set-up)",
        "one_off_in_year": "One-off costs in the year",
        "net": "Net gain per year", "cumulative": "Cumulative net gain",
        "payback": "Payback time (years)", "users": "Users",
        "operator_arsverk": "Response-centre årsverk",
        "plan_arsverk": "Home-care årsverk (municipal projection)",
        "with_tech_arsverk": "Home-care årsverk with the technology",
        "answer_mean": "Mean answer time (s)",
        "answer_within": "Share of alarms answered within {t}",
        "visit_mean": "Mean visit response time (min)",
        "visit_within": "Share of alarm visits on site within {t}",
        "missed_caught": "Missed doses caught per week",
        "missed_answer": "Answer time of missed doses (s)",
        "missed_visit": "Share of missed doses ending in a visit",
        "gps_found": "People found by GPS per year",
        "gps_time": "Time to find the person with GPS (min)",
        "search_count": "Searches without GPS per year",
        "search_time": "Time to find the person without GPS (min)",
        "parameter": "Assumption", "low": "Low", "high": "High",
        "net_low": "Net at low", "net_high": "Net at high", "source": "Source",
        "path": "Parameter",
        "travel": "Travel", "on_site": "Time in the home", "key_handling": "Key handling",
        "alarm_answering": "Answering alarms", "search": "Searching for missing persons",
        "alarm": "Visit for an alarm", "total": "Total",
        "safety_alarm": "Safety alarm (trygghetsalarm)", "gps_tracker": "GPS tracker",
        "e_lock": "E-lock (e-lås)", "medicine_dispenser": "Medicine dispenser",
        "night_supervision": "Digital night supervision",
        "c_answer": "Answer time in the response centre against target",
        "c_answer_x": "Answer time (seconds)", "c_answer_y": "Share of alarms",
        "c_target": "target {t}",
        "c_load": "Hourly load against staffing",
        "c_load_x": "Hour of the day", "c_load_y": "Operators",
        "c_busy": "Operators busy (mean)", "c_on_duty": "Operators on duty",
        "c_devices": "Home visits saved per week by technology",
        "c_devices_x": "Visits per week (negative: more visits)",
        "c_yearly": "Gain and cost per year", "c_yearly_y": "Million NOK",
        "c_tornado": "Sensitivity: net gain per year", "c_tornado_x": "Million NOK per year",
        "c_base": "Base", "no_sensitivity": "The scenario names no sensitivity analysis.",
        "assumption": "assumption",
        "note_baseline": "Answer and visit response times are those of the response centre "
                         "(technology arm); in the baseline home care answers alarms itself, "
                         "and its answer time is not modelled.",
        "charts": "Charts", "tables": "Tables",
    },
}


def text(lang: str, key: str, **values: str) -> str:
    """A phrase in the language, with ``{placeholders}`` filled in."""
    return TEXT[lang][key].format(**values) if values else TEXT[lang][key]


def label(lang: str, key: str) -> str:
    """A phrase if the key is known, else the key itself (a scenario's own name)."""
    return TEXT[lang].get(key, key)


def format_number(value: float | None, lang: str, decimals: int = 1) -> str:
    """A number with the language's grouping and decimal mark; "–" when undefined."""
    if value is None or math.isnan(value):
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return str(format_decimal(value, format=pattern, locale=LOCALES[lang]))


def format_nok(value: float | None, lang: str) -> str:
    """Whole kroner: ``1 234 567 kr`` (nb) or ``NOK 1,234,567`` (en)."""
    if value is None or math.isnan(value):
        return "–"
    number = format_number(value, lang, 0)
    return f"{number}\u00a0kr" if lang == "nb" else f"NOK\u00a0{number}"


def format_share(value: float | None, lang: str) -> str:
    """A share as a percentage with one decimal: ``93,4 %``."""
    if value is None or math.isnan(value):
        return "–"
    return f"{format_number(value * 100, lang, 1)}\u00a0%"


def format_value(value: float | None, unit: str, lang: str) -> str:
    """A figure formatted by its unit (NOK whole, shares in per cent, counts and hours)."""
    if unit in ("NOK", "NOK/yr"):
        return format_nok(value, lang)
    if unit == "share":
        return format_share(value, lang)
    if unit in ("h/yr", "1/yr"):
        return format_number(value, lang, 0)
    if unit == "yr":
        return format_number(value, lang, 2)
    return format_number(value, lang, 1)
