"""Fuzzing the scenario loader: any file, any mapping, any override gives a Scenario or a
:class:`ScenarioError` with problems to show, never another exception.

Three kinds of input: arbitrary text and bytes as a scenario file; the shipped Lier scenario
with fields replaced by arbitrary values or removed; and arbitrary ``--set`` overrides.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.scenario.loading import load_scenario, validate_scenario
from sim.scenario.schema import Scenario
from tests.conftest import SCENARIOS

LIER = SCENARIOS / "lier-2026.yaml"
BASE: dict[str, Any] = yaml.safe_load(LIER.read_text(encoding="utf-8"))
DELETE = object()


def file_text(max_size: int) -> st.SearchStrategy[str]:
    """Text a file can hold (no lone surrogates)."""
    return st.text(st.characters(exclude_categories=["Cs"]), max_size=max_size)


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                  max_size=3),
    max_leaves=8,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in a YAML document (mapping keys and list indices)."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


PATHS = paths(BASE)


def mutated(changes: list[tuple[tuple[Any, ...], Any]]) -> dict[str, Any]:
    """The Lier scenario with each path set to its value (or removed)."""
    data = copy.deepcopy(BASE)
    for path, value in changes:
        parent: Any = data
        try:
            for step in path[:-1]:
                parent = parent[step]
            if value is DELETE:
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed or replaced this path
    return data


def judge(load: Any) -> Scenario | None:
    """Run ``load()``: a Scenario, or None for a ScenarioError that names its problems."""
    try:
        scenario = load()
    except ScenarioError as error:
        assert error.problems, "a ScenarioError without problems"
        assert all(p.describe() for p in error.problems)
        return None
    assert isinstance(scenario, Scenario)
    return scenario


def load_text(content: str | bytes) -> Scenario | None:
    """Write ``content`` as a scenario file and load it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scenario.yaml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return judge(lambda: load_scenario(path))


def test_the_unchanged_scenario_loads() -> None:
    assert judge(lambda: validate_scenario(copy.deepcopy(BASE), "lier")) is not None


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file_text(max_size=400) | st.binary(max_size=400))
def test_any_file_gives_a_scenario_or_problems(content: str | bytes) -> None:
    load_text(content)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file_text(max_size=300).map(lambda text: f"{yaml.safe_dump(BASE)}\n{text}"))
def test_a_valid_file_with_anything_appended_gives_a_scenario_or_problems(content: str) -> None:
    load_text(content)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), VALUES | st.just(DELETE)), min_size=1,
                max_size=4))
def test_any_field_replaced_or_removed_gives_a_scenario_or_problems(
    changes: list[tuple[tuple[Any, ...], Any]],
) -> None:
    judge(lambda: validate_scenario(mutated(changes), "lier"))


DOTTED = st.sampled_from([".".join(str(step) for step in path) for path in PATHS]) | st.text(
    alphabet="abcdefgh.0123_", max_size=20)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(DOTTED | st.sampled_from(["fleet.safety_alarm.users",
                                                  "centre.shifts.night.operators"]),
                       VALUES, min_size=1, max_size=3))
def test_any_override_gives_a_scenario_or_problems(overrides: dict[str, Any]) -> None:
    judge(lambda: load_scenario(LIER, overrides))
