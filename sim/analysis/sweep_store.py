"""A sweep's results folder, written as the sweep goes so that an interrupted sweep can resume.

``sweep.json`` describes the sweep (scenario file and digest, seed, replications, swept fields);
``replications.jsonl`` gets one line per finished replication, written the moment it finishes.
``--resume`` reads the lines back and runs only what is missing; it refuses a folder whose
``sweep.json`` describes a different sweep. A last line cut short by a hard stop is dropped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sim.analysis.sweep import Finished, SweepError

MANIFEST = "sweep.json"
RESULTS = "replications.jsonl"


class SweepStore:
    """The results folder of one sweep."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.manifest_path = folder / MANIFEST
        self.results_path = folder / RESULTS

    def start(self, manifest: dict[str, Any], resume: bool) -> list[Finished]:
        """Prepare the folder; the replications already finished (none unless resuming)."""
        if resume:
            return self.reopen(manifest)
        if self.results_path.exists() and self.results_path.stat().st_size > 0:
            raise SweepError(f"{self.folder} already holds sweep results; add --resume to "
                             "continue that sweep, or choose another --out")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.manifest_path.write_text(json.dumps(manifest, indent=2, default=str) + "\n",
                                      encoding="utf-8")
        self.results_path.write_text("", encoding="utf-8")
        return []

    def reopen(self, manifest: dict[str, Any]) -> list[Finished]:
        """Check that the folder holds this sweep; its finished replications."""
        if not self.manifest_path.exists():
            raise SweepError(f"nothing to resume: {self.manifest_path} does not exist")
        saved = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        current = json.loads(json.dumps(manifest, default=str))
        changed = sorted(k for k in set(saved) | set(current) if saved.get(k) != current.get(k))
        if changed:
            raise SweepError(f"{self.folder} holds a different sweep (differs in: "
                             f"{', '.join(changed)}); resume with the same scenario, seed, "
                             "replications and --set values, or choose another --out")
        finished = self.read_finished()
        self.results_path.write_text("".join(result_line(f) for f in finished), encoding="utf-8")
        return finished

    def read_finished(self) -> list[Finished]:
        """The replications in the results file, each once; a cut-short last line is dropped."""
        if not self.results_path.exists():
            return []
        seen: dict[tuple[int, int], Finished] = {}
        for line in self.results_path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            finished = Finished(row["point"], row["replication"], row["metrics"], row["wall_s"])
            seen.setdefault((finished.point, finished.replication), finished)
        return sorted(seen.values(), key=lambda f: (f.point, f.replication))

    def append(self, finished: Finished) -> None:
        """Save one finished replication at once."""
        with self.results_path.open("a", encoding="utf-8") as out:
            out.write(result_line(finished))
            out.flush()


def result_line(finished: Finished) -> str:
    """One JSON line; floats are written exactly (shortest round-trip form, NaN as ``NaN``)."""
    row = {"point": finished.point, "replication": finished.replication,
           "wall_s": finished.wall_s, "metrics": {k: float(v) for k, v in finished.metrics.items()}}
    return json.dumps(row) + "\n"
