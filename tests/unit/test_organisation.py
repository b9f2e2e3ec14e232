"""The four organisation models on common random numbers: what each figure is made of."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim.analysis.cost_sharing import cost_split, device_count
from sim.analysis.organisation import answer_key, organisation_replication
from sim.model.metrics import replication_metrics
from sim.run.replication import run_replication
from sim.run.runner import run_replications
from sim.scenario.region import load_region
from tests.conftest import SCENARIOS

LIER = SCENARIOS / "lier-2026.yaml"


@pytest.fixture
def region_path(tmp_path: Path) -> Path:
    region = {"name": "pair", "horizon": "2d", "warmup": "1h", "seed": 3,
              "members": [{"name": "lier", "scenario": str(LIER), "inhabitants": 29200},
                          {"name": "twin", "scenario": str(LIER), "inhabitants": 10000,
                           "set": {"tenant": "twin"}}],
              "centre": {"shifts": [{"name": "all", "start": "00:00", "end": "24:00",
                                     "operators": 3}]},
              "costs": {"purchased_price_per_device_month": 100,
                        "purchased_answer_share": 0.98}}
    path = tmp_path / "pair.yaml"
    path.write_text(yaml.safe_dump(region), encoding="utf-8")
    return path


def test_each_model_is_built_from_its_own_run(region_path: Path) -> None:
    region = load_region(region_path)
    shared = run_replications(region, 3, 1, workers=1)[0].metrics
    out = organisation_replication(region, 3, 0, shared)
    key = answer_key(region)
    assert key == "answer.within_1min"
    member = region.member("lier")
    own = replication_metrics(member.scenario,
                              run_replication(member.scenario, 3, 0, namespace="lier"))
    assert out[f"models.lier.own.{key}"] == own[key]
    assert out[f"models.lier.shared.{key}"] == shared[f"members.lier.{key}"]
    assert out[f"models.lier.shared_vs_own.{key}"] == pytest.approx(
        shared[f"members.lier.{key}"] - own[key])
    # purchased: the contract's share, the price per device and month
    assert out[f"models.lier.purchased.{key}"] == 0.98
    assert out["models.lier.purchased.cost"] == pytest.approx(
        100 * 12 * device_count(member.scenario))
    # shared: the fixed + variable share of the shared centre
    assert out["models.lier.shared.cost"] == pytest.approx(
        cost_split(region, shared)["costs.lier.fixed_variable"])
    # region totals add the members'
    assert out["models.region.shared.cost"] == pytest.approx(
        out["models.lier.shared.cost"] + out["models.twin.shared.cost"])
    assert out["models.region.own.arsverk"] == pytest.approx(
        2 * out["models.lier.own.arsverk"])
    # the own centre: Lier's 2 operators x 24 h x 365 x 1.14 / 1,695 h
    assert out["models.lier.own.arsverk"] == pytest.approx(2 * 24 * 365 * 1.14 / 1695)
    assert 0 < out["models.lier.direct.arsverk"] < out["models.lier.own.arsverk"]
