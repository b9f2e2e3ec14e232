"""The net present value of each organisation model, checked by hand on round figures."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim.benefit.organisation_npv import organisation_npvs
from sim.scenario.region import Region, load_region
from tests.conftest import SCENARIOS

ANNUITY = sum(1.04 ** -t for t in range(10))
"""Σ (1 + 4 %)^−t over lier-2026.yaml's ten years (R-109/2021 rate)."""


def region_of(folder: Path, second_has_benefit: bool) -> Region:
    check = SCENARIOS / "checks" / "erlang-c.yaml"
    second = ({"name": "twin", "scenario": str(SCENARIOS / "lier-2026.yaml"),
               "set": {"tenant": "twin"}} if second_has_benefit else
              {"name": "twin", "scenario": str(check), "set": {"tenant": "twin"}})
    data = {"name": "r", "horizon": "1d", "warmup": "1h", "replications": 2, "seed": 1,
            "centre": {"shifts": [{"name": "all", "start": "00:00", "end": "24:00",
                                   "operators": 2}]},
            "costs": {"own_fixed_per_year": 100_000},
            "members": [{"name": "lier", "scenario": str(SCENARIOS / "lier-2026.yaml")},
                        second]}
    path = folder / "region.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_region(path)


def figures(name: str) -> dict[str, float]:
    return {f"models.{name}.own.cost": 1_000_000.0, f"models.{name}.shared.cost": 400_000.0,
            f"models.{name}.direct.cost": 999.0, f"models.{name}.direct.arsverk": 2.0,
            f"models.{name}.purchased.cost": 300_000.0}


def test_each_model_costs_its_yearly_cost_with_tax_cost_discounted(tmp_path: Path) -> None:
    region = region_of(tmp_path, second_has_benefit=False)
    out = organisation_npvs(region, {**figures("lier"), **figures("twin")})
    key = "npv_2026_2035"
    assert out[f"models.lier.own.{key}"] == pytest.approx(-1_000_000 * 1.2 * ANNUITY)
    assert out[f"models.lier.shared.{key}"] == pytest.approx(-400_000 * 1.2 * ANNUITY)
    # direct response: 2 årsverk × 1,695 h at the home-care hourly cost (413) + alarm reception
    direct = 2 * 1695 * 413 + 100_000
    assert out[f"models.lier.direct.{key}"] == pytest.approx(-direct * 1.2 * ANNUITY)
    assert out[f"models.lier.shared_vs_own.{key}"] == pytest.approx(600_000 * 1.2 * ANNUITY)
    # a member without a benefit section gets none, and so the region gets none
    assert not any(k.startswith(("models.twin.", "models.region.")) for k in out)


def test_the_region_sums_members_with_the_same_period(tmp_path: Path) -> None:
    region = region_of(tmp_path, second_has_benefit=True)
    out = organisation_npvs(region, {**figures("lier"), **figures("twin")})
    key = "npv_2026_2035"
    assert out[f"models.region.purchased.{key}"] == pytest.approx(
        2 * -300_000 * 1.2 * ANNUITY)
    assert out[f"models.region.purchased_vs_own.{key}"] == pytest.approx(
        2 * 700_000 * 1.2 * ANNUITY)
