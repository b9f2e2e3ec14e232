"""Uncertainty beyond the tornado: input distributions, the probabilistic sensitivity analysis
against an analytic case, Sobol' indices against a test function with known indices, the
simulation's noise as an input, and reproducibility from the seed."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scipy import stats
from typer.testing import CliRunner

from sim.analysis.global_sensitivity import (
    describe_outcomes,
    ranked,
    saltelli_design,
    sobol_indices,
)
from sim.analysis.uncertain_inputs import UncertainInput
from sim.benefit.appraisal import appraise, assumptions_of, year_inputs
from sim.benefit.comparison import run_comparison
from sim.benefit.economics import npv_of
from sim.benefit.gains import (
    BenefitError,
    compare_replication,
    replication_benefit,
    require_benefit,
)
from sim.benefit.psa import REPLICATION, plan_psa, psa_inputs
from sim.errors import ScenarioError
from sim.run.replication import run_replication
from sim.scenario.schema import Scenario
from tests.unit.test_benefit_arithmetic import dispenser_scenario
from vtsim.cli.main import app

UNIT = (np.arange(100_000) + 0.5) / 100_000
"""Midpoints of a fine grid of probabilities: the mean of quantile(UNIT) is the mean."""


def psa_of(scenario: Scenario, base_size: int, seed: int = 5,
           replications: int = 2) -> dict[str, Any]:
    comparison = run_comparison(scenario, "tiny", seed=seed, replications=replications,
                                years=(2026,), workers=1, psa_samples=base_size)
    assert comparison.psa is not None
    return comparison.psa


@pytest.mark.parametrize("shape", ["uniform", "triangular", "pert"])
def test_input_distributions_have_their_documented_mean_and_range(shape: str) -> None:
    item = UncertainInput("x", 2.0, 10.0, 3.0, shape)  # type: ignore[arg-type]
    values = item.quantile(UNIT)
    assert values.min() >= 2.0 and values.max() <= 10.0
    assert values.mean() == pytest.approx(item.mean, rel=1e-4)
    expected = {"uniform": 6.0, "triangular": 5.0, "pert": (2 + 4 * 3 + 10) / 6}[shape]
    assert item.mean == pytest.approx(expected)


def test_pert_is_the_beta_with_weight_four_on_the_mode() -> None:
    item = UncertainInput("x", 0.0, 10.0, 2.0)
    assert item.pert_shape == (1.8, 4.2)
    quartiles = item.quantile(np.array([0.25, 0.5, 0.75]))
    assert quartiles == pytest.approx(10 * stats.beta.ppf([0.25, 0.5, 0.75], 1.8, 4.2))
    assert UncertainInput("x", 4.0, 4.0, 4.0).quantile(UNIT[:3]).tolist() == [4.0] * 3
    with pytest.raises(ValueError, match="between low 0 and high 1"):
        UncertainInput("x", 0.0, 1.0, 2.0)


def ishigami(x: np.ndarray) -> np.ndarray:
    """The Ishigami function on [-pi, pi]^3 (a = 7, b = 0.1)."""
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_match_the_ishigami_function() -> None:
    design = saltelli_design(["x1", "x2", "x3"], 1024, seed=11)
    x = -math.pi + 2 * math.pi * design.unit
    indices = {s.name: s for s in sobol_indices(design, ishigami(x), seed=11)}
    # Analytic values (Ishigami and Homma 1990; Sobol' 2001)
    first = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
    total = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
    for name in first:
        assert indices[name].first == pytest.approx(first[name], abs=0.05)
        assert indices[name].total == pytest.approx(total[name], abs=0.05)
    assert [s.name for s in ranked(list(indices.values()))] == ["x1", "x2", "x3"]


def test_sobol_ranking_finds_the_dominant_input_with_few_draws() -> None:
    design = saltelli_design(["small", "dominant", "none"], 16, seed=3)
    u = design.unit
    y = 0.3 * u[:, 0] + 10 * u[:, 1]
    indices = ranked(sobol_indices(design, y, seed=3))
    assert indices[0].name == "dominant"
    assert indices[0].total > 0.9
    flat = sobol_indices(design, np.ones(design.rows), seed=3)
    assert all(s.first == s.total == 0 for s in flat)


def test_design_is_seeded_and_its_independent_rows_are_a_and_b() -> None:
    one = saltelli_design(["a", "b"], 8, seed=1)
    assert one.rows == 8 * 4
    assert np.array_equal(one.unit, saltelli_design(["a", "b"], 8, seed=1).unit)
    assert not np.array_equal(one.unit, saltelli_design(["a", "b"], 8, seed=2).unit)
    rows = one.independent_rows()
    assert rows.tolist()[:4] == [0, 3, 4, 7]
    a_rows, b_rows = one.unit[rows[0::2]], one.unit[rows[1::2]]
    assert np.array_equal(one.unit[1, 1], a_rows[0, 1])  # AB_a keeps A's b
    assert one.unit[1, 0] == b_rows[0, 0]                 # and takes B's a
    with pytest.raises(ValueError, match="power of two"):
        saltelli_design(["a"], 12, seed=1)


def test_outcome_distribution_reads_percentiles_and_the_negative_share() -> None:
    spread = describe_outcomes(np.arange(-10.0, 90.0))
    assert spread.n == 100 and spread.p50 == pytest.approx(39.5)
    assert spread.p10 == pytest.approx(-0.1) and spread.p90 == pytest.approx(79.1)
    assert spread.p_negative == 0.10


@pytest.mark.parametrize("shape", ["uniform", "pert"])
def test_psa_percentiles_match_an_npv_linear_in_one_price(shape: str) -> None:
    # Deterministic hours (constant travel and visit times, no missed doses): the NPV with
    # freed capacity is linear in the hourly cost, NPV(c) = a + b c, so its percentiles are
    # those of c mapped through the line, and P(NPV < 0) = P(c < zero).
    scenario = dispenser_scenario()
    simulated = [year_inputs(2026, compare_replication(scenario, seed=5, index=0))]
    assumptions = assumptions_of(require_benefit(scenario), 2026)

    def npv(cost: float) -> float:
        return npv_of(replace(assumptions, hourly_cost=cost), simulated, "net.with_capacity")

    slope = npv(1.0) - npv(0.0)
    zero = -npv(0.0) / slope  # the hourly cost at which the NPV is zero
    assert slope > 0 and zero > 0
    low, high = zero / 2, 5 * zero / 2  # the zero at a quarter of the range
    varied = dispenser_scenario(sensitivity=[
        {"path": "benefit.costs.hourly_cost", "low": low, "high": high, "mode": zero,
         "distribution": shape}])
    # uniform: P(c < zero) = 1/4; PERT with its mode at zero: beta(2, 4) below 1/4
    p_zero = 0.25 if shape == "uniform" else float(stats.beta.cdf(0.25, 2, 4))
    price = stats.uniform(low, high - low) if shape == "uniform" else stats.beta(
        2, 4, loc=low, scale=high - low)
    psa = psa_of(varied, base_size=64)
    line = psa["npv"]["net.with_capacity"]
    spread = line["distribution"]
    assert spread["n"] == 128
    tolerance = slope * (high - low) * 0.02
    for p in (10, 50, 90):
        exact = npv(float(price.ppf(p / 100)))
        assert spread[f"p{p}"] == pytest.approx(exact, abs=tolerance), p
    assert spread["p_negative"] == pytest.approx(p_zero, abs=0.025)
    assert spread["mean"] == pytest.approx(npv(float(price.mean())), abs=tolerance)
    top = line["ranking"][0]
    assert top["path"] == "benefit.costs.hourly_cost" and top["total"] > 0.99
    noise = next(r for r in line["ranking"] if r["path"] == REPLICATION)
    assert abs(noise["total"]) < 0.01  # replications identical here: no simulation noise
    # No hour is cash-releasing in this scenario: the cash NPV does not depend on the price.
    cash = psa["npv"]["net.cash"]
    assert cash["distribution"]["p10"] == pytest.approx(cash["distribution"]["p90"])
    assert all(r["total"] == 0 for r in cash["ranking"])


def test_simulation_noise_is_an_input_of_its_own() -> None:
    # Missed doses make the freed hours differ between replications; the one assumption hardly
    # matters. (No hour is cash here, so the noise shows in the NPV with freed capacity.)
    scenario = dispenser_scenario(missed=0.3, visit_share=0.5, users=30, sensitivity=[
        {"path": "benefit.costs.licences_per_year", "low": 0, "high": 1}])
    line = psa_of(scenario, base_size=16, replications=4)["npv"]["net.with_capacity"]
    assert line["ranking"][0]["path"] == REPLICATION
    assert line["ranking"][0]["total"] > 0.9
    assert len(set(line["draws"])) > 4


def test_psa_is_reproducible_from_the_seed() -> None:
    scenario = dispenser_scenario(missed=0.2, visit_share=0.5, sensitivity=[
        {"path": "benefit.purposes.medication.replaced_share", "low": 0.6, "high": 1.0},
        {"path": "benefit.costs.hourly_cost", "low": 350, "high": 450,
         "distribution": "triangular"}])
    first, again = psa_of(scenario, 8, seed=9), psa_of(scenario, 8, seed=9)
    assert first == again
    assert (psa_of(scenario, 8, seed=10)["npv"]["net.with_capacity"]["draws"]
            != first["npv"]["net.with_capacity"]["draws"])
    (share, cost, noise) = first["inputs"]
    assert share["distribution"] == "pert" and share["mode"] == 1.0  # the scenario's value
    assert cost["distribution"] == "triangular" and cost["mode"] == 400.0
    assert noise["path"] == REPLICATION


def test_assumptions_outside_benefit_stay_in_the_tornado_only() -> None:
    scenario = dispenser_scenario(sensitivity=[
        {"path": "devices.medicine_dispenser.events.dose_missed.probability", "low": 0.0,
         "high": 0.1},
        {"path": "benefit.costs.hourly_cost", "low": 300, "high": 500}])
    inputs, left_out = psa_inputs(scenario, "tiny")
    assert [i.path for i in inputs] == ["benefit.costs.hourly_cost"]
    assert left_out == ((0, "devices.medicine_dispenser.events.dose_missed.probability"),)
    plan = plan_psa(scenario, "tiny", replications=3, base_size=4, seed=1)
    assert plan is not None and plan.design.rows == 4 * 4
    assert sorted({r.replication for r in plan.rows}) <= [0, 1, 2]
    assert sum(len(plan.rows_of(i)) for i in range(3)) == plan.design.rows


def test_bad_ranges_are_named() -> None:
    with pytest.raises(ScenarioError, match=r"high .* is below low"):
        dispenser_scenario(sensitivity=[{"path": "benefit.costs.hourly_cost", "low": 5,
                                         "high": 1}])
    with pytest.raises(ScenarioError, match="mode"):
        dispenser_scenario(sensitivity=[{"path": "benefit.costs.hourly_cost", "low": 1,
                                         "high": 5, "mode": 9}])
    outside = dispenser_scenario(sensitivity=[{"path": "benefit.costs.hourly_cost", "low": 100,
                                               "high": 200}])  # the scenario's 400 is outside
    with pytest.raises(BenefitError, match=r"benefit.sensitivity.0.low.*value 400 at "
                                           r"benefit.costs.hourly_cost"):
        psa_inputs(outside, "tiny")
    nowhere = dispenser_scenario(sensitivity=[{"path": "benefit.costs.hourly_costs", "low": 1,
                                               "high": 2}])
    with pytest.raises(BenefitError, match=r"benefit.sensitivity.0.path.*must name a number"):
        psa_inputs(nowhere, "tiny")


def test_compare_writes_the_psa_into_metrics_json(tmp_path: Path) -> None:
    scenario = dispenser_scenario(economics={"cash_share_default": 1.0}, sensitivity=[
        {"path": "benefit.costs.hourly_cost", "low": 350, "high": 450}])
    source = tmp_path / "tiny.yaml"
    source.write_text(yaml.safe_dump(scenario.model_dump(mode="json", by_alias=True)))
    out = tmp_path / "gain"
    args = ["compare", str(source), "--replications", "2", "--workers", "1", "--out", str(out)]
    bad = CliRunner().invoke(app, [*args, "--psa-samples", "6"])
    assert bad.exit_code == 2 and "power of two" in bad.output
    result = CliRunner().invoke(app, [*args, "--psa-samples", "4"])
    assert result.exit_code == 0, result.output
    assert "P(negative)" in result.output
    psa = json.loads((out / "metrics.json").read_text())["psa"]
    assert psa["base_size"] == 4
    assert psa["evaluations"] == 4 * (2 + 2)  # two inputs: the price and the replication
    line = psa["npv"][psa["outcome"]["headline"]]
    assert len(line["draws"]) == 8 and line["distribution"]["n"] == 8
    assert line["ranking"][0]["path"] == "benefit.costs.hourly_cost"
    assert line["ranking"][0]["total"] > 0.9  # every freed hour is cash here
    assert psa["outcome"]["key"] == "npv.net.cash"
    assert {k: psa[k] for k in ("distribution", "ranking", "draws")} == psa["npv"]["net.cash"]
    report = CliRunner().invoke(app, ["report", str(out), "--lang", "nb", "--format", "html"])
    assert report.exit_code == 0, report.output
    assert 'data-ref="[&quot;psa&quot;, &quot;ranking&quot;' in (
        out / "benefit-report.nb.html").read_text()


def test_draws_are_evaluated_like_the_replications_without_the_quality_figures() -> None:
    scenario = dispenser_scenario(missed=0.3, visit_share=0.5)
    log = run_replication(scenario, 3, 1)
    full = replication_benefit(scenario, log, 3, 1)
    lean = replication_benefit(scenario, log, 3, 1, with_quality=False)
    assert all(v == full[k] or (math.isnan(v) and math.isnan(full[k])) for k, v in lean.items())
    assert year_inputs(2026, lean) == year_inputs(2026, full) and len(lean) < len(full)


def test_check_reports_a_range_the_scenarios_value_lies_outside(tmp_path: Path) -> None:
    scenario = dispenser_scenario(sensitivity=[
        {"path": "benefit.costs.hourly_cost", "low": 100, "high": 200}])
    source = tmp_path / "outside.yaml"
    source.write_text(yaml.safe_dump(scenario.model_dump(mode="json", by_alias=True)))
    result = CliRunner().invoke(app, ["check", str(source)])
    assert result.exit_code == 2
    assert "benefit.sensitivity.0.low" in result.output and "400" in result.output


def test_with_fixed_assumptions_every_draw_is_one_replications_npv() -> None:
    # A range of zero width: the draws differ only by the replication they take, so each one
    # is the net present value the appraisal gives that replication, over two plan years.
    scenario = dispenser_scenario(missed=0.3, visit_share=0.5, users=30,
                                  economics={"cash_share_default": 0.5}, sensitivity=[
        {"path": "benefit.costs.licences_per_year", "low": 0, "high": 0}])
    scenario = scenario.model_copy(update={"growth": scenario.growth.model_copy(
        update={"rate": 0.2, "base_year": 2026})})
    comparison = run_comparison(scenario, "tiny", seed=4, replications=3, years=(2026, 2027),
                                workers=1, psa_samples=8)
    assert comparison.psa is not None
    means = {y: {k: float(np.mean([f[k] for f in comparison.per_year[y]]))
                 for k in comparison.per_year[y][0]} for y in comparison.years}
    appraisal = appraise(scenario, comparison.per_year, means)
    for line in ("net.cash", "net.with_capacity"):
        per_replication = appraisal.npv[line]
        assert len(set(per_replication)) == 3  # the replications differ
        draws = comparison.psa["npv"][line]["draws"]
        assert all(min(abs(d - v) for v in per_replication) < 1e-6 for d in draws)
        assert len({round(d, 3) for d in draws}) > 1
