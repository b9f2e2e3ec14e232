"""The files a region run writes: ``metrics.json`` (as for a scenario, with ``members.*``
keys), the event log with a ``member`` column, and the resolved region with its members."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from reports.outputs import LogFormat, file_digest, write_csv, write_parquet
from sim.model.records import TABLE_FIELDS
from sim.run.region import RegionLog
from sim.scenario.region import Region

SHARED = ""
"""The ``member`` of the shared centre's own rows (its operators' staffing)."""


def write_region_event_log(directory: Path, logs: Sequence[RegionLog],
                           fmt: LogFormat) -> list[Path]:
    """One file per record table, every member's rows with a ``member`` column first. The
    shared operators' staffing is written once, with an empty ``member``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for table, fields in TABLE_FIELDS.items():
        columns: dict[str, list[Any]] = {"member": [], **{name: [] for name in fields}}
        for region_log in logs:
            for i, (member, log) in enumerate(region_log.members.items()):
                data = log.tables()[table].columns()
                rows = range(len(next(iter(data.values()))) if data else 0)
                keep = [r for r in rows
                        if table != "staffing" or data["pool"][r] != "operators" or i == 0]
                shared = [table == "staffing" and data["pool"][r] == "operators" for r in keep]
                columns["member"].extend(SHARED if s else member for s in shared)
                for name, values in data.items():
                    columns[name].extend(values[r] for r in keep)
        path = directory / f"{table}.{fmt}"
        if fmt == "parquet":
            write_parquet(path, columns)
        else:
            write_csv(path, columns)
        written.append(path)
    return written


def write_resolved_region(directory: Path, region: Region, source: Path, seed: int,
                          replications: int, version: str) -> list[Path]:
    """``region.resolved.yaml`` and one resolved scenario per member beside it
    (``member.<name>.resolved.yaml``): running the region file again gives the same
    ``metrics.json``."""
    written = []
    members = []
    for member, entry in zip(region.members, region.spec.members, strict=True):
        name = f"member.{member.name}.resolved.yaml"
        data = member.scenario.model_dump(mode="json", by_alias=True)
        body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        header = (f"# Member {member.name} of {region.name}, resolved by vtsim {version}\n"
                  f"# from {member.file} (sha256 {file_digest(Path(member.file))}).\n")
        (directory / name).write_text(header + body, encoding="utf-8")
        written.append(directory / name)
        members.append({"name": member.name, "scenario": name,
                        "inhabitants": entry.inhabitants})
    data = region.spec.model_dump(mode="json", by_alias=True)
    data.update(seed=seed, replications=replications, members=members)
    header = (f"# Resolved region written by vtsim {version}\n"
              f"# from {source} (sha256 {file_digest(source)}), seed {seed}.\n"
              "# Every default is filled in; durations are in seconds.\n")
    path = directory / "region.resolved.yaml"
    path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    written.append(path)
    return written
