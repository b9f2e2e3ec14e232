"""What every ``vtsim`` command shares: exit codes, ``--set``, error lines, loading a scenario,
and the numeric options (seed, replications, workers) checked as the command line is read."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from sim.errors import ScenarioError

if TYPE_CHECKING:
    from sim.scenario.region import Region
    from sim.scenario.schema import Scenario

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
MOST_WORKERS = 1024
"""More processes than this is a typing error, not a plan (each one is a whole Python)."""
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario field: PATH=VALUE (repeatable)."),
]
Number = TypeVar("Number", int, float)


class Lang(StrEnum):
    """Languages of the summaries and reports."""

    nb = "nb"
    en = "en"


LangOption = Annotated[Lang | None, typer.Option(
    "--lang", help="Language of the summary: nb (Bokmål) or en (default: from the locale; "
                   "LC_ALL or LANG nb/nn/no gives nb).")]


def chosen_lang(lang: Lang | None) -> str:
    """``--lang``, or the locale's language."""
    from reports.i18n import lang_from_locale

    return lang.value if lang is not None else lang_from_locale(os.environ)


@dataclass(frozen=True, slots=True)
class Bounds:
    """The values a numeric option accepts, and where the rule comes from."""

    option: str
    low: float | None = None
    high: float | None = None
    rule: str = ""

    def problem(self, value: float) -> str | None:
        """What is wrong with ``value``, or ``None``."""
        if math.isnan(value) or (self.low is not None and value < self.low):
            return self.expected()
        if self.high is not None and value > self.high:
            return self.expected()
        return None

    def expected(self) -> str:
        """The accepted range in words."""
        if self.low is not None and self.high is not None:
            text = f"must be from {self.low:g} to {self.high:g}"
        elif self.low is not None:
            text = f"must be {self.low:g} or more"
        else:
            text = f"must be at most {self.high:g}"
        return f"{text} ({self.rule})" if self.rule else text

    def range_text(self) -> str:
        """``[1<=x<=10000]``, as typer shows a range in ``--help``."""
        low = "" if self.low is None else f"{self.low:g}<="
        high = "" if self.high is None else f"<={self.high:g}"
        return f"[{low}x{high}]"


def scenario_field_bounds(field: str, option: str, low: float | None = None) -> Bounds:
    """The bounds of a top-level scenario field (``seed``, ``replications``), so that an
    option and the YAML field follow one rule; ``low`` raises the lower bound further."""
    from annotated_types import Ge, Gt, Le, Lt

    from sim.scenario.schema import Scenario

    field_low: float | None = None
    field_high: float | None = None
    for rule in Scenario.model_fields[field].metadata:
        if isinstance(rule, Ge | Gt):
            field_low = float(rule.ge if isinstance(rule, Ge) else rule.gt)  # type: ignore[arg-type]
        elif isinstance(rule, Le | Lt):
            field_high = float(rule.le if isinstance(rule, Le) else rule.lt)  # type: ignore[arg-type]
    if low is not None:
        field_low = low if field_low is None else max(low, field_low)
    return Bounds(option, field_low, field_high, f"as the scenario's {field} field")


def checked(bounds: Callable[[], Bounds]) -> Callable[[Number | None], Number | None]:
    """A typer callback checking a numeric option as the command line is read: out of range
    prints one error line and exits with code 2 before anything runs."""
    def check(value: Number | None) -> Number | None:
        if value is None:
            return value
        rule = bounds()
        problem = rule.problem(value)
        if problem is not None:
            raise fail(Console(), f"{rule.option} {value:g}: {problem}", EXIT_BAD_INPUT)
        return value
    return check


def ruled_option(bounds: Bounds, help_text: str, **extra: Any) -> Any:
    """A numeric option checked against ``bounds``, its range shown in ``--help``."""
    return typer.Option(bounds.option, help=f"{help_text} {bounds.range_text()}",
                        callback=checked(lambda: bounds), **extra)


def seed_option() -> Any:
    """``--seed``: the scenario's seed rule (a whole number, 0 or more)."""
    return ruled_option(scenario_field_bounds("seed", "--seed"),
                        "Master seed (default: the scenario's).")


def replications_option(help_text: str, low: int = 1) -> Any:
    """``--replications``: the scenario's rule (1 to 10,000), at least ``low``."""
    return ruled_option(scenario_field_bounds("replications", "--replications", low), help_text)


def workers_option(help_text: str) -> Any:
    """``--workers``: 1 to :data:`MOST_WORKERS` processes."""
    return ruled_option(Bounds("--workers", 1, MOST_WORKERS), help_text)


def bounded_option(option: str, low: float | None, high: float | None, help_text: str,
                   **extra: Any) -> Any:
    """Any other numeric option with fixed bounds."""
    return ruled_option(Bounds(option, low, high), help_text, **extra)


def fail(console: Console, message: str, code: int = EXIT_FAILED) -> typer.Exit:
    """Print an error line (its text as written, never read as markup); the exit to raise."""
    console.print(f"[red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def print_words(console: Console, line: str) -> None:
    """A line wrapped at the terminal's width between words only: rich would also break at a
    no-break space (``8\u00a0647\u00a0766 kr``), Python's :mod:`textwrap` does not. Printed as
    written, never read as markup."""
    import textwrap

    width = max(20, console.width)
    for part in textwrap.wrap(line, width=width, break_long_words=False,
                              break_on_hyphens=False) or [""]:
        console.print(part, markup=False, highlight=False, soft_wrap=True)


def print_problems(console: Console, error: ScenarioError) -> None:
    """One error line per problem of a scenario, naming file, field path and value; the text
    is printed as written (``[b]`` in a value or ``^[a-z]*$`` in a rule is not markup)."""
    for problem in error.problems:
        console.print(f"[red]error:[/] {escape(problem.describe())}", highlight=False,
                      soft_wrap=True)


def fail_scenario(console: Console, error: ScenarioError) -> typer.Exit:
    """Print every problem of a scenario; the exit (code 2) to raise."""
    print_problems(console, error)
    return typer.Exit(EXIT_BAD_INPUT)


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``path=value`` pairs from ``--set``; values are read as YAML (numbers, lists, …)."""
    import yaml

    overrides: dict[str, Any] = {}
    for item in items:
        path, sep, value = item.partition("=")
        if not sep or not path:
            raise typer.BadParameter(f"expected PATH=VALUE, got {item!r}", param_hint="--set")
        overrides[path.strip()] = yaml.safe_load(value)
    return overrides


def load_or_exit(console: Console, path: Path, overrides: dict[str, Any]) -> Scenario:
    """The scenario, or every problem in it printed and exit code 2."""
    return load_noting_or_exit(console, path, overrides)[0]


def load_noting_or_exit(console: Console, path: Path, overrides: dict[str, Any],
                        lang: str = "en") -> tuple[Scenario, list[str]]:
    """The scenario and a line per shipped device profile it uses, or every problem in it
    printed and exit code 2."""
    from sim.scenario.loading import load_scenario_noting
    from sim.scenario.region import is_region_file

    if is_region_file(path):
        raise fail(console, f"{path} is a region file (several municipalities sharing one "
                            "centre); this command takes one municipality's scenario. For a "
                            "region use vtsim run, check, size or report.", EXIT_BAD_INPUT)
    try:
        from reports.summary import profile_note

        scenario, uses = load_scenario_noting(path, overrides)
        return scenario, [profile_note(use, lang) for use in uses]
    except ScenarioError as exc:
        print_problems(console, exc)
        console.print(f"{len(exc.problems)} problem(s) in {path}; nothing was run.")
        raise typer.Exit(EXIT_BAD_INPUT) from None


def load_region_or_exit(console: Console, path: Path, overrides: dict[str, Any]) -> Region:
    """The region and its members, or every problem in them printed and exit code 2."""
    from sim.scenario.region import load_region

    try:
        return load_region(path, overrides)
    except ScenarioError as exc:
        print_problems(console, exc)
        console.print(f"{len(exc.problems)} problem(s) in {path} or its members; nothing was "
                      "run.")
        raise typer.Exit(EXIT_BAD_INPUT) from None
