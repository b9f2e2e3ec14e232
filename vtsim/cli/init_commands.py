"""``vtsim init``: a new municipality's scenario from what its project lead knows.

The inputs come from a small YAML file (``--from``), from options, and, when the terminal is
interactive, from prompts for whatever is still missing. The scenario is drafted by
:mod:`sim.scenario.draft`, checked exactly as ``vtsim check`` checks a file, and written only
when it passes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.prompt import Confirm, FloatPrompt, IntPrompt, Prompt
from rich.table import Table

from reports.i18n import TEXT, format_number
from reports.i18n import text as say
from reports.summary import print_warnings
from sim.errors import Problem, ScenarioError
from vtsim.cli.command_support import (
    EXIT_BAD_INPUT,
    LangOption,
    chosen_lang,
    fail,
    fail_scenario,
)

INPUT_KEYS = ("name", "tenant", "year", "inhabitants", "age_bands", "zones", "home_care",
              "devices", "adoption", "growth_rate")
"""Keys of an input file (docs/nb/egen-kommune.md shows one)."""


def init(
    out: Annotated[Path | None, typer.Option(
        "--out", help="Scenario file to write (default: <tenant>-<year>.yaml).")] = None,
    from_file: Annotated[Path | None, typer.Option(
        "--from", help="Input YAML: name, inhabitants, age_bands, zones, home_care, devices "
        "or adoption (docs/nb/egen-kommune.md).")] = None,
    name: Annotated[str | None, typer.Option(help="Municipality and year, e.g. 'Bærum 2026'.")
                    ] = None,
    year: Annotated[int | None, typer.Option(help="Year the figures describe (default 2026).")
                    ] = None,
    inhabitants: Annotated[int | None, typer.Option(help="Inhabitants in all.")] = None,
    age_band: Annotated[list[str] | None, typer.Option(
        "--age-band", help="Inhabitants of an age band: 67-79=N, 80-89=N, 90+=N (repeat).")
    ] = None,
    zone: Annotated[list[str] | None, typer.Option(
        "--zone", help="A zone: NAME=SHARE,DRIVE_MINUTES, e.g. sentrum=0.4,10 (repeat).")
    ] = None,
    recipients: Annotated[int | None, typer.Option(
        help="Recipients of home services (mottakere av hjemmetjenester).")] = None,
    arsverk: Annotated[str | None, typer.Option(
        help="Årsverk of the home service, e.g. 12.5 or 12,5.")] = None,
    device: Annotated[list[str] | None, typer.Option(
        "--device", help="Planned number of a device kind: KIND=N, e.g. safety_alarm=2400 "
        "(repeat; kinds not given are derived from reference rates).")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace the output file if it exists.")] = False,
    interactive: Annotated[bool | None, typer.Option(
        "--interactive/--no-input", help="Ask for missing inputs (default: when the terminal "
        "is interactive).")] = None,
    lang: LangOption = None,
) -> None:
    """Write a new municipality's scenario from its population, zones, home care and devices."""
    console = Console()
    given = read_inputs(console, from_file)
    given.update(option_inputs(name=name, year=year, inhabitants=inhabitants,
                               age_band=age_band or [], zone=zone or [], recipients=recipients,
                               arsverk=None if arsverk is None else _number(arsverk, "--arsverk"),
                               device=device or []))
    if interactive if interactive is not None else sys.stdin.isatty():
        given = ask_missing(console, given)
    given = plain_inputs(given)
    town = municipality_or_exit(console, given, str(from_file or "input"))
    target = out or Path(f"{town.tenant_name}-{town.year}.yaml")
    if target.exists() and not force:
        raise fail(console, f"{target} exists; give --force to replace it, or another --out",
                   EXIT_BAD_INPUT)
    language = chosen_lang(lang)
    text = checked_draft(console, town, str(target), language)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    console.print(say(language, "init_wrote", path=str(target),
                      out=f"results/{town.tenant_name}"), highlight=False, soft_wrap=True)


def read_inputs(console: Console, path: Path | None) -> dict[str, Any]:
    """The input file's mapping (empty without ``--from``)."""
    if path is None:
        return {}
    from sim.scenario.loading import read_yaml

    try:
        data = read_yaml(path)
    except ScenarioError as exc:
        raise fail_scenario(console, exc) from None
    unknown = [key for key in data if key not in INPUT_KEYS]
    if unknown:
        raise fail_scenario(console, ScenarioError([Problem(
            str(path), key, f"unknown input; known: {', '.join(INPUT_KEYS)}", "")
            for key in unknown]))
    return data


def option_inputs(*, name: str | None, year: int | None, inhabitants: int | None,
                  age_band: list[str], zone: list[str], recipients: int | None,
                  arsverk: float | None, device: list[str]) -> dict[str, Any]:
    """The inputs given as options (they win over the file's)."""
    given: dict[str, Any] = {}
    for key, value in (("name", name), ("year", year), ("inhabitants", inhabitants)):
        if value is not None:
            given[key] = value
    if age_band:
        given["age_bands"] = dict(_pair(item, "--age-band") for item in age_band)
    if zone:
        given["zones"] = [_zone(item) for item in zone]
    if recipients is not None or arsverk is not None:
        given["home_care"] = {k: v for k, v in (("recipients", recipients),
                                                ("arsverk", arsverk)) if v is not None}
    if device:
        given["devices"] = dict(_pair(item, "--device") for item in device)
    return given


def _pair(item: str, option: str) -> tuple[str, Any]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise typer.BadParameter(f"expected KEY=N, got {item!r}", param_hint=option)
    return key.strip(), _number(value, option)


def _number(text: str, option: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text.replace(",", "."))
        except ValueError:
            raise typer.BadParameter(f"expected a number, got {text!r}", param_hint=option
                                     ) from None


def _zone(item: str) -> dict[str, Any]:
    name, sep, rest = item.partition("=")
    parts = rest.split(",") if sep else []
    if len(parts) != 2 or not name.strip():
        hint = (" (a comma separates the share from the drive: write decimals with a point, "
                "e.g. sentrum=0.7,6.5)" if len(parts) > 2 else "")
        raise typer.BadParameter(f"expected NAME=SHARE,DRIVE_MINUTES, got {item!r}{hint}",
                                 param_hint="--zone")
    return {"name": name.strip(), "share": _number(parts[0], "--zone"),
            "drive_minutes": _number(parts[1], "--zone")}


NORWEGIAN_NUMBER = re.compile(
    r"[+-]?(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:,\d+)?")
"""A number as written in Norwegian: digits grouped by spaces, a decimal comma."""


def plain_number(value: Any) -> Any:
    """``'131 000'`` and ``'0,7'`` (Norwegian digit grouping and decimal comma) as numbers;
    anything else unchanged, for validation to report."""
    if not isinstance(value, str) or not NORWEGIAN_NUMBER.fullmatch(value.strip()):
        return value
    text = re.sub(r"[ \u00a0\u202f]", "", value.strip())
    return float(text.replace(",", ".")) if "," in text else int(text)


def plain_inputs(given: dict[str, Any]) -> dict[str, Any]:
    """The inputs with Norwegian-written numbers as numbers and zone and tenant names as
    scenario names (``Flå sentrum`` → ``flaa_sentrum``), as the prompts make them."""
    from sim.scenario.municipality import plain_name

    data = {key: plain_number(value) for key, value in given.items()}
    for key in ("age_bands", "home_care", "devices"):
        if isinstance(data.get(key), dict):
            data[key] = {k: plain_number(v) for k, v in data[key].items()}
    if isinstance(data.get("adoption"), dict):
        data["adoption"] = {kind: {k: plain_number(v) for k, v in rates.items()}
                            if isinstance(rates, dict) else rates
                            for kind, rates in data["adoption"].items()}
    if isinstance(data.get("tenant"), str):
        data["tenant"] = plain_name(data["tenant"], "kommune")
    if isinstance(data.get("zones"), list):
        data["zones"] = [_plain_zone(zone, n) for n, zone in enumerate(data["zones"])]
    return data


def _plain_zone(zone: Any, n: int) -> Any:
    from sim.scenario.municipality import plain_name

    if not isinstance(zone, dict):
        return zone
    plain = {key: plain_number(value) for key, value in zone.items()}
    if isinstance(plain.get("name"), str):
        plain["name"] = plain_name(plain["name"], f"sone{n + 1}")
    return plain


def ask_missing(console: Console, given: dict[str, Any]) -> dict[str, Any]:
    """Prompt for every input that is still missing (rich prompts)."""
    from sim.scenario.municipality import ADOPTION, AGE_BANDS, KINDS

    data = dict(given)
    console.print("[bold]New scenario[/] (Ctrl-C to stop; docs/nb/egen-kommune.md explains "
                  "every input)")
    if "name" not in data:
        data["name"] = Prompt.ask("Municipality and year, e.g. 'Bærum 2026'")
        if "year" not in data:  # optional: asked only when starting from nothing
            data["year"] = IntPrompt.ask("Year the figures describe", default=2026)
    if "inhabitants" not in data:
        data["inhabitants"] = IntPrompt.ask("Inhabitants (innbyggere) in all")
    if "age_bands" not in data:
        data["age_bands"] = {band: IntPrompt.ask(f"Inhabitants aged {band}")
                             for band in AGE_BANDS}
    if "zones" not in data:
        data["zones"] = ask_zones()
    home_care = dict(data.get("home_care") or {})
    if "recipients" not in home_care:
        home_care["recipients"] = IntPrompt.ask(
            "Recipients of home services (mottakere av hjemmetjenester)")
    if "arsverk" not in home_care:
        home_care["arsverk"] = FloatPrompt.ask("Årsverk of the home service")
    data["home_care"] = home_care
    if "devices" not in data and "adoption" not in data:
        show_reference_rates(console, ADOPTION)
        if Confirm.ask("Do you know the planned number of each device?", default=False):
            data["devices"] = {kind: IntPrompt.ask(f"Planned {kind}") for kind in KINDS}
    return data


def ask_zones() -> list[dict[str, Any]]:
    """Zones one by one: name, share of the population, typical drive."""
    from sim.scenario.municipality import plain_name

    count = max(IntPrompt.ask("How many zones (soner) with their own home-care base",
                              default=1), 1)
    zones: list[dict[str, Any]] = []
    for n in range(count):
        name = plain_name(Prompt.ask(f"Zone {n + 1}: name (e.g. sentrum)"), f"sone{n + 1}")
        left = 1.0 - sum(z["share"] for z in zones)
        share = FloatPrompt.ask(f"Zone {n + 1}: share of the population (0-1)",
                                default=round(left if n == count - 1 else 1.0 / count, 3))
        drive = FloatPrompt.ask(f"Zone {n + 1}: typical drive from the base, minutes")
        zones.append({"name": name, "share": share, "drive_minutes": drive})
    return zones


def show_reference_rates(console: Console, adoption: Any) -> None:
    """The reference rates used for device counts that are not given."""
    table = Table(title="Reference users per 100 inhabitants (used when counts are not given)")
    table.add_column("device")
    for band in ("67-79", "80-89", "90+"):
        table.add_column(band, justify="right")
    for kind, rate in adoption.items():
        table.add_row(kind, *(f"{rate.per_100[b]:g}" for b in ("67-79", "80-89", "90+")))
    table.caption = ("e_lock: 20 % of home-care recipients + GPS wearers; medicine_dispenser: "
                     "10 % of home-care recipients (docs/nb/egen-kommune.md has the sources)")
    console.print(table)


def municipality_or_exit(console: Console, given: dict[str, Any], file: str) -> Any:
    """The validated inputs, or every problem with its field path and exit code 2."""
    from pydantic import ValidationError

    from sim.scenario.loading import pydantic_problem
    from sim.scenario.municipality import Municipality

    try:
        return Municipality.model_validate(given)
    except ValidationError as exc:
        problems = [pydantic_problem(file, err) for err in first_errors(exc.errors())]
        for problem in problems:
            if problem.message.startswith("unknown field"):
                problem = Problem(problem.file, problem.path,
                                  "unknown input (check the spelling; see "
                                  "docs/nb/egen-kommune.md)", problem.value)
            console.print(f"[red]error:[/] {escape(problem.describe())}", highlight=False,
                          soft_wrap=True)
        console.print(f"{len(problems)} problem(s) in the inputs; nothing was written.")
        raise typer.Exit(EXIT_BAD_INPUT) from None


def first_errors(errors: list[Any]) -> list[Any]:
    """The errors without the list-level echo of a bad zone (``zones``: "at least 1 item
    after validation, not 0"), which only repeats that its items were rejected."""
    bad_items = {err["loc"][0] for err in errors if len(err["loc"]) > 1}
    return [err for err in errors if not (len(err["loc"]) == 1 and err["type"] == "too_short"
                                          and err["loc"][0] in bad_items)]


ERLANG_TARGET = (60.0, 0.975)
"""TSA code of practice: 97.5 % of alarms answered within 60 s."""


def erlang_staffing(scenario: Any) -> Any:
    """Operators per shift from Erlang C per hour for :data:`ERLANG_TARGET`, at least 2."""
    from sim.analysis.erlang import hours_of, incident_loads, servers_per_hour
    from sim.scenario.draft import Staffing

    per_hour = servers_per_hour(incident_loads(scenario), *ERLANG_TARGET)
    operators = {shift.name: max(2, *(per_hour[h] for h in hours_of(shift)))
                 for shift in scenario.centre.shifts}
    return Staffing(operators, (
        "Operators: Erlang C per hour of the day for 97.5 % answered",
        "# within 60 s (TSA code of practice), the most any hour of the shift needs, at least 2.",
        "# Bursts (dispensers alarming at the same minute) and repeats are not in Erlang C:",
        "# `vtsim size` checks the staffing by simulation and finds the fewest that meet a target.",
    ))


def checked_draft(console: Console, town: Any, file: str, lang: str = "en") -> str:
    """The drafted scenario, checked as ``vtsim check`` would; exit code 2 if it fails."""
    from reports.summary import expected_share_text
    from sim.benefit.calibration import calibration_warnings, expected_share
    from sim.benefit.gains import benefit_problems
    from sim.scenario.draft import draft_scenario
    from sim.scenario.loading import scenario_from_text, staffing_warnings

    try:
        first, _ = scenario_from_text(draft_scenario(town), file)
        text: str = draft_scenario(town, staffing=erlang_staffing(first))
        scenario, _ = scenario_from_text(text, file)
    except ScenarioError as exc:
        raise fail_scenario(console, exc) from None
    problems = list(benefit_problems(scenario, file))
    if problems:
        raise fail_scenario(console, ScenarioError(problems))
    print_warnings(console, staffing_warnings(scenario) + calibration_warnings(scenario), lang)
    found = expected_share(scenario)
    if found is not None:
        console.print(expected_share_text(found, lang), markup=False, highlight=False,
                      soft_wrap=True)
    devices = sum(u.count * len(u.devices) for u in scenario.users)
    shifts = ", ".join(f"{TEXT[lang].get('shift_' + s.name, s.name)} {s.operators}"
                       for s in scenario.centre.shifts)
    console.print(say(lang, "init_summary", name=scenario.name,
                      devices=format_number(devices, lang, 0), groups=str(len(scenario.users)),
                      zones=str(len(scenario.zones)), shifts=shifts),
                  markup=False, highlight=False, soft_wrap=True)
    return text
