"""What ``vtsim check`` says of a scenario's benefit section: its problems and the baseline's
calibration against the municipality's home-care totals. Kept apart from the benefit commands
so that checking a scenario loads none of the report stack."""

from __future__ import annotations

from rich.console import Console

from reports.summary import expected_share_text, print_warnings
from sim.benefit.calibration import calibration_warnings, expected_share
from sim.benefit.gains import BenefitError, benefit_problems
from sim.benefit.psa import sensitivity_problems
from sim.scenario.schema import Scenario
from vtsim.cli.command_support import fail_scenario


def check_baseline_or_exit(console: Console, scenario: Scenario, file: str,
                           lang: str = "en") -> None:
    """The benefit section's problems (exit code 2) and the baseline's calibration warnings."""
    if scenario.benefit is None:
        return
    problems = list(benefit_problems(scenario, file)) + list(
        sensitivity_problems(scenario, file))
    if problems:
        raise fail_scenario(console, BenefitError(problems))
    print_warnings(console, calibration_warnings(scenario), lang)
    found = expected_share(scenario)
    if found is not None:
        console.print(expected_share_text(found, lang), markup=False, highlight=False,
                      soft_wrap=True)
