"""What every ``vtsim`` command shares: exit codes, ``--set``, error lines, loading a scenario."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from sim.errors import ScenarioError

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario field: PATH=VALUE (repeatable)."),
]


def fail(console: Console, message: str, code: int = EXIT_FAILED) -> typer.Exit:
    """Print an error line; the exit to raise."""
    console.print(f"[red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def print_problems(console: Console, error: ScenarioError) -> None:
    """One error line per problem of a scenario, naming file, field path and value."""
    for problem in error.problems:
        console.print(f"[red]error:[/] {problem.describe()}", highlight=False, soft_wrap=True)


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


def load_noting_or_exit(console: Console, path: Path,
                        overrides: dict[str, Any]) -> tuple[Scenario, list[str]]:
    """The scenario and a line per shipped device profile it uses, or every problem in it
    printed and exit code 2."""
    from sim.scenario.loading import load_scenario_noting

    try:
        scenario, uses = load_scenario_noting(path, overrides)
        return scenario, [use.describe() for use in uses]
    except ScenarioError as exc:
        print_problems(console, exc)
        console.print(f"{len(exc.problems)} problem(s) in {path}; nothing was run.")
        raise typer.Exit(EXIT_BAD_INPUT) from None
