"""Sharing the shared centre's cost: every key checked by hand on a small case."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.cost_sharing import KEYS, available_keys, cost_split
from sim.scenario.region import load_region
from tests.conftest import SCENARIOS

CHECK = SCENARIOS / "checks" / "erlang-c.yaml"


def small_region(folder: Path, inhabitants: bool = True) -> Path:
    members = [
        {"name": "a", "scenario": str(CHECK), "set": {"tenant": "a"}},
        {"name": "b", "scenario": str(CHECK), "set": {"tenant": "b", "users.0.count": 1600}},
    ]
    if inhabitants:
        members[0]["inhabitants"] = 3000
        members[1]["inhabitants"] = 1000
    region = {"name": "small", "horizon": "1d", "members": members,
              "centre": {"shifts": [{"name": "all", "start": "00:00", "end": "24:00",
                                     "operators": 3}]},
              "costs": {"operator_hourly_cost": 100, "rota_factor": 1.0,
                        "fixed_per_year": 1000, "own_fixed_per_year": 500,
                        "fixed_share": 0.5}}
    path = folder / "small.yaml"
    path.write_text(yaml.safe_dump(region), encoding="utf-8")
    return path


METRICS = {"members.a.incidents.count": 300.0, "members.b.incidents.count": 100.0,
           "members.a.operators.busy_h": 20.0, "members.b.operators.busy_h": 20.0}


def test_each_key_by_hand(tmp_path: Path) -> None:
    region = load_region(small_region(tmp_path))
    out = cost_split(region, METRICS)
    # 3 operators x 8,760 h x 100 NOK + 1,000 fixed
    assert out["costs.total"] == pytest.approx(2_629_000)
    # each own centre: 14 operators (erlang-c.yaml) x 8,760 h x 100 NOK + 500 fixed
    assert out["costs.a.own"] == pytest.approx(12_264_500)
    assert out["costs.b.own"] == pytest.approx(12_264_500)
    # inhabitants 3,000 : 1,000 -> 3/4
    assert out["costs.a.inhabitants"] == pytest.approx(1_971_750)
    assert out["costs.b.inhabitants"] == pytest.approx(657_250)
    # devices 4,800 : 1,600 safety alarms -> 3/4
    assert out["costs.a.devices"] == pytest.approx(1_971_750)
    # alarms 300 : 100 -> 3/4
    assert out["costs.a.alarms"] == pytest.approx(1_971_750)
    # operator minutes 1,200 : 1,200 -> 1/2
    assert out["costs.a.operator_minutes"] == pytest.approx(1_314_500)
    # fixed + variable: half per inhabitant (3/4), half per operator-minute (1/2) -> 5/8
    assert out["costs.a.fixed_variable"] == pytest.approx(1_643_125)
    assert out["costs.b.fixed_variable"] == pytest.approx(985_875)
    # net gain: own centre less the share
    assert out["gain.a.inhabitants"] == pytest.approx(12_264_500 - 1_971_750)
    assert out["gain.region"] == pytest.approx(2 * 12_264_500 - 2_629_000)


def test_every_key_splits_exactly_the_total(tmp_path: Path) -> None:
    region = load_region(small_region(tmp_path))
    out = cost_split(region, METRICS)
    for key in KEYS:
        assert out["costs.a." + key] + out["costs.b." + key] == pytest.approx(out["costs.total"])
        gains = out["gain.a." + key] + out["gain.b." + key]
        assert gains == pytest.approx(out["gain.region"])


def test_without_inhabitants_only_the_other_keys(tmp_path: Path) -> None:
    region = load_region(small_region(tmp_path, inhabitants=False))
    assert available_keys(region) == ("devices", "alarms", "operator_minutes")
    out = cost_split(region, METRICS)
    assert "costs.a.inhabitants" not in out and "costs.a.fixed_variable" not in out
    assert out["costs.a.alarms"] + out["costs.b.alarms"] == pytest.approx(out["costs.total"])


@settings(max_examples=50)
@given(st.floats(1, 1e4), st.floats(1, 1e4), st.floats(0.1, 500), st.floats(0.1, 500),
       st.floats(0, 1))
def test_every_key_sums_to_the_total_for_any_use(incidents_a: float, incidents_b: float,
                                                  busy_a: float, busy_b: float,
                                                  fixed_share: float) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        region = load_region(small_region(Path(folder)),
                             {"costs.fixed_share": fixed_share})
    metrics = {"members.a.incidents.count": incidents_a, "members.b.incidents.count": incidents_b,
               "members.a.operators.busy_h": busy_a, "members.b.operators.busy_h": busy_b}
    out = cost_split(region, metrics)
    for key in KEYS:
        assert out[f"costs.a.{key}"] + out[f"costs.b.{key}"] == pytest.approx(out["costs.total"])
        assert 0 <= out[f"costs.a.{key}"] <= out["costs.total"] * (1 + 1e-12)
