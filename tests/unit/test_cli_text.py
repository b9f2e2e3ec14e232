"""Command output as a user reads it: text printed as written, and in the chosen language."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from reports.summary import print_warnings
from sim.errors import Problem, ScenarioError
from tests.conftest import ROOT
from vtsim.cli.command_support import print_problems


def _printed(write: object) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, color_system=None)
    assert callable(write)
    write(console)
    return buffer.getvalue()


def test_problems_and_warnings_are_printed_without_markup() -> None:
    problem = Problem("s.yaml", "users.0.name", "must match ^[a-z]*$", "'x[b]y'")
    shown = _printed(lambda c: print_problems(c, ScenarioError([problem])))
    assert "must match ^[a-z]*$ (got 'x[b]y')" in shown
    warned = _printed(lambda c: print_warnings(c, ["value [b]bold[/b] and [red]"]))
    assert "value [b]bold[/b] and [red]" in warned


def test_check_prints_a_bracketed_value_as_written(tmp_path: Path) -> None:
    scenario = (ROOT / "scenarios" / "lier-2026.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(scenario.replace("tenant: lier", "tenant: \"li[b]er\"", 1), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "vtsim", "check", str(bad)], cwd=ROOT,
                            text=True, capture_output=True, timeout=120)
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert "li[b]er" in out and "[a-z]" in out


def test_compare_says_why_the_uncertainty_analysis_is_missing() -> None:
    from sim.scenario.loading import load_scenario
    from vtsim.cli.benefit_commands import print_no_psa

    lier = ROOT / "scenarios" / "lier-2026.yaml"
    without = load_scenario(lier, {"benefit.sensitivity": []})
    shown = _printed(lambda c: print_no_psa(c, without, 64, "nb"))
    assert "ingen benefit.sensitivity" in shown
    assert "no benefit.sensitivity" in _printed(lambda c: print_no_psa(c, without, 64, "en"))
    assert "--psa-samples 0" in _printed(
        lambda c: print_no_psa(c, load_scenario(lier), 0, "nb"))
    assert _printed(lambda c: print_no_psa(c, load_scenario(lier), 64, "nb")) == ""


def test_init_and_staffing_lines_speak_bokmal() -> None:
    from reports.i18n import text
    from vtsim.cli.benefit_commands import print_staffing

    assert text("nb", "init_wrote", path="a.yaml", out="results/a").startswith("Skrev a.yaml")
    document = {"staffing": {"target": "answer 97.5% within 60s", "years": {"2026": {
        "shifts": {"day": 2, "evening": 2, "night": 2}, "source": "search", "met": True,
        "attainment": {}}}}}
    shown = _printed(lambda c: print_staffing(c, document, "nb"))
    assert "funnet ved søk" in shown and "search" not in shown


def test_numbers_and_negative_zero_stay_whole_on_a_narrow_terminal() -> None:
    from reports.i18n import format_nok, format_number
    from vtsim.cli.command_support import print_words

    line = f"2026: budsjett {format_nok(-8647766, 'nb')} per år og {format_nok(-0.2, 'nb')}"
    buffer = io.StringIO()
    print_words(Console(file=buffer, width=24, color_system=None), line)
    lines = buffer.getvalue().splitlines()
    assert lines[1].startswith("-8\u00a0647\u00a0766\u00a0kr ") and lines[2] == "0\u00a0kr"
    assert all(len(part) <= 24 for part in lines)
    assert format_number(-0.0, "nb", 0) == "0" and format_number(-0.04, "nb", 1) == "0,0"
    assert format_nok(-0.3, "nb") == "0\u00a0kr" and format_number(-0.06, "en", 1) == "-0.1"


def test_check_speaks_bokmal_with_norwegian_numbers() -> None:
    result = subprocess.run([sys.executable, "-m", "vtsim", "check",
                             str(ROOT / "scenarios" / "lier-2026.yaml"), "--lang", "nb"],
                            cwd=ROOT, text=True, capture_output=True, timeout=120)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "gevinst: " in out and "benefit:" not in out
    assert "note:" not in out and "modelled" not in out
    # thousands with a no-break space, never an English comma
    line = next(x for x in out.splitlines() if x.startswith("gevinst: "))
    assert "\u00a0" in line and re.search(r"\d,\d{3}", line) is None


def test_every_sizing_reason_reads_in_both_languages() -> None:
    from reports.i18n import reason_text
    from sim.analysis.sizing import reason

    keys = ("unreachable_ci", "unreachable_shift", "unreachable_zone", "floor",
            "agrees_shift", "fewer_shift", "zone_no_estimate", "agrees_zone", "zone_floor",
            "more_zone", "fewer_zone")
    for key in keys:
        found = reason(key, n=3, floor=2, analytic=1, peak="08", delay="2min")
        nb, en = reason_text(found, "nb"), reason_text(found, "en")
        assert nb and en and nb != en and "{" not in nb + en, key
    more = reason("more_shift", hours="08, 20", repeats="yes")
    said = reason_text(more, "nb")
    assert said.startswith("flere enn Erlang C: planlagte alarmer") and "08, 20:xx" in said
    assert "gjentatte alarmer" in said and "konfidensintervallet" in said
    assert "repeated" not in reason_text(reason("more_shift", hours="", repeats=""), "en")


def test_intervals_near_a_bound_are_clipped_and_shown_by_their_bounds() -> None:
    from reports.summary import format_figure, format_share
    from sim.analysis.aggregate import Figure

    def figure(mean: float, half: float) -> Figure:
        return Figure(key="k", unit="", mean=mean, ci_half_width=half, values=(mean,) * 10)

    near_one = format_share(figure(0.999, 0.003), "nb")
    assert near_one == "99,9 (99,6–100)\u00a0%", near_one
    assert format_share(figure(0.5, 0.02), "en") == "50.0 ± 2.0\u00a0%"
    quick = format_figure(figure(5.0, 8.0), unit="s", lang="en")
    assert quick == "5.0 (0–13.0)\u00a0s", quick
    assert format_share(figure(0.0, 0.0), "nb") == "0,0 ± 0,0\u00a0%"


def test_compare_says_a_negative_net_costs_arsverk() -> None:
    from vtsim.cli.benefit_commands import print_gains

    def figure(mean: float) -> dict[str, float]:
        return {"mean": mean, "ci_half_width": 0.1}

    year = {"visits.saved.per_week": figure(89.3), "hours.saved.per_year": figure(1433.0),
            "arsverk.saved": figure(0.8), "arsverk.freed_net": figure(-10.9),
            "nok.net.per_year": figure(-8645966.0)}
    document = {"metrics": {"2026": year}, "replications": 3, "economics": {
        "method": {"first_year": 2026, "period_years": 10, "discount_rate": 0.04},
        "npv": {"net.cash": figure(-1e6), "net.with_capacity": figure(-1e6)}}}
    nb = " ".join(_printed(lambda c: print_gains(c, document, "nb")).split("\n"))
    assert "responssenteret koster 10,9 ±\u00a00,1 årsverk netto" in nb and "-10,9" not in nb
    en = " ".join(_printed(lambda c: print_gains(c, document, "en")).split("\n"))
    assert "the centre costs 10.9 ±\u00a00.1 årsverk net" in en
    year["arsverk.freed_net"] = figure(2.0)
    assert "2,0 ±\u00a00,1 netto etter" in " ".join(
        _printed(lambda c: print_gains(c, document, "nb")).split("\n"))


def test_the_uncertainty_lines_name_assumptions_in_words() -> None:
    from vtsim.cli.benefit_commands import print_psa

    psa = {"outcome": {"headline": "net.cash"},
           "inputs": [{"path": "benefit.costs.licences_per_year",
                       "labels": {"nb": "Lisenser per år", "en": "Licences per year"}},
                      {"path": "replication", "labels": {}}],
           "npv": {"net.cash": {
               "distribution": {"n": 32, "p10": -9e7, "p50": -8.8e7, "p90": -8.7e7,
                                "p_negative": 1.0},
               "ranking": [{"path": "benefit.costs.licences_per_year", "total": 0.6}]}}}
    nb = _printed(lambda c: print_psa(c, psa, "nb")).replace("\n", " ")
    assert "Lisenser per år (0,60)" in nb and "benefit.costs" not in nb
    assert "netto nåverdi (kontanter)" in nb and "net.cash" not in nb
