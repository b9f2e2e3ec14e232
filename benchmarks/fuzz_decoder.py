"""Coverage-guided fuzzing of the device decoder and the scenario loader with atheris.

Run by hand (not part of the test run); atheris needs a CPython it has wheels for:

    pip install atheris
    python benchmarks/fuzz_decoder.py decoder -atheris_runs=200000
    python benchmarks/fuzz_decoder.py scenario -max_total_time=120

Any exception other than the expected verdicts (a :class:`devices.contract.codec.Rejected`, a
:class:`sim.errors.ScenarioError`) stops the run with the input that caused it, which atheris
saves as ``crash-*``. The Hypothesis tests (tests/contract/test_contract_fuzz.py,
tests/unit/test_scenario_fuzz.py) cover the same ground in the default run.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path

import atheris  # type: ignore[import-untyped,unused-ignore]

with atheris.instrument_imports():
    from devices.contract.codec import Accepted, Rejected, decode_message, decode_status
    from sim.errors import ScenarioError
    from sim.scenario.loading import load_scenario

NOW = 1_767_600_000.0
TOPICS = ("vt/v1/lier/safety_alarm/sa-0001/events", "vt/v1/lier/medicine_dispenser/d-1/events",
          "vt/v1/lier/safety_alarm/sa-0001/status")


def fuzz_decoder(data: bytes) -> None:
    """One input: a topic choice, a topic suffix and a payload; any verdict is fine."""
    provider = atheris.FuzzedDataProvider(data)
    topic = TOPICS[provider.ConsumeIntInRange(0, len(TOPICS) - 1)]
    if provider.ConsumeBool():
        topic = provider.ConsumeUnicodeNoSurrogates(40)
    payload = provider.ConsumeBytes(provider.remaining_bytes())
    verdict = (decode_status(topic, payload, now_epoch_s=NOW) if topic.endswith("/status")
               else decode_message(topic, payload, now_epoch_s=NOW))
    if not isinstance(verdict, Accepted | Rejected) and type(verdict).__name__ != "StatusAccepted":
        raise AssertionError(f"unexpected verdict {verdict!r}")


def fuzz_scenario(data: bytes) -> None:
    """One input: a scenario file's bytes; a Scenario or a ScenarioError is fine."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scenario.yaml"
        path.write_bytes(data)
        with contextlib.suppress(ScenarioError):
            load_scenario(path)


def main() -> None:
    """``decoder`` or ``scenario``, then atheris/libFuzzer options."""
    targets = {"decoder": fuzz_decoder, "scenario": fuzz_scenario}
    if len(sys.argv) < 2 or sys.argv[1] not in targets:
        raise SystemExit(f"usage: {sys.argv[0]} decoder|scenario [libFuzzer options]")
    target = targets[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
