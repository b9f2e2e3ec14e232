"""Only the engine (sim/engine/) touches SimPy's private attributes.

The names are read from SimPy's own source, so a private name that a later SimPy adds is
covered too. Every project module is scanned (the model, the devices, the command line, the
reports, the benchmarks and the tests) for an attribute access ``x._name`` with such a name,
where ``x`` is not the module's own ``self`` or ``cls`` (a class may have private attributes of
its own that happen to share a name with SimPy's, such as a pool's ``self._queue``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import simpy

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ("sim", "devices", "vtsim", "reports", "benchmarks", "tests")
ENGINE = ROOT / "sim" / "engine"


def simpy_private_names() -> frozenset[str]:
    """Every single-underscore attribute name SimPy's source uses on an object."""
    names: set[str] = set()
    for path in Path(simpy.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and is_private(node.attr):
                names.add(node.attr)
    return frozenset(names)


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def project_modules() -> list[Path]:
    """The project's Python files outside the engine."""
    return sorted(path for top in PROJECT for path in (ROOT / top).rglob("*.py")
                  if ENGINE not in path.parents)


def private_accesses(source: str, names: frozenset[str]) -> list[tuple[int, str]]:
    """``(line, text)`` of every access to one of ``names`` on something other than
    ``self``/``cls``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Attribute) and node.attr in names):
            continue
        if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            continue
        found.append((node.lineno, ast.unparse(node)))
    return found


def test_the_private_names_include_those_the_engine_relies_on() -> None:
    names = simpy_private_names()
    assert {"_queue", "_eid", "_now", "_ok", "_value", "_defused"} <= names


def test_no_module_outside_the_engine_touches_a_private_simpy_name() -> None:
    names = simpy_private_names()
    modules = project_modules()
    assert len(modules) > 100
    offences = [f"{path.relative_to(ROOT)}:{line}: {text}"
                for path in modules
                for line, text in private_accesses(path.read_text(encoding="utf-8"), names)]
    assert offences == [], "SimPy internals belong in sim/engine/:\n" + "\n".join(offences)


def test_the_scan_finds_what_it_looks_for() -> None:
    names = simpy_private_names()
    source = "now = env._now\nheappush(env._queue, x)\nself._queue.append(1)\nev._ok = True\n"
    assert sorted(line for line, _ in private_accesses(source, names)) == [1, 2, 4]
