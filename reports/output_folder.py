"""Where a command writes: checked before anything is simulated, replaced only when asked.

A results folder (``vtsim run --out``, ``vtsim sweep --out``) must be a folder, or not exist
yet, and its parent must be writable; a file by that name, or a file where a parent folder should
be, is an error before the simulation starts. A folder that already holds files is refused
unless ``--force`` is given. With ``--force`` the folder is replaced, never merged (no old
``events/`` left beside a new ``metrics.json``), and only if everything in it is something vtsim
writes (:data:`VTSIM_OUTPUTS`): a folder holding anything else (notes, a spreadsheet, a
scenario) is never deleted; the error names what is in the way.

``vtsim run`` writes a new results folder beside the old one and swaps the two only when every
file is written, so that a run that fails or is stopped leaves the earlier results as they were.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from sim.errors import VtsimError

VTSIM_OUTPUTS = (
    "metrics.json", "run.json", "scenario.resolved.yaml", "events", "data",
    "sweep.json", "replications.jsonl", "points.csv", "points.parquet", "attainment.png",
    "attainment.svg", "sizing.json", "sizing.csv", "staffing-cache.json", "follow-up.json",
    "benefit-report.*", "region.resolved.yaml", "member.*.resolved.yaml", "region-report.*",
    "region-sizing.json",
)
"""Names of what vtsim writes into a results folder (``run``, ``sweep``, ``size``, ``compare``,
``report``); a folder holding only these may be replaced with ``--force``."""

SHOWN = 5
"""Names listed in an error before "and N more"."""


class OutputError(VtsimError):
    """An output location that cannot be written, or is not vtsim's to replace."""


def check_file_target(path: Path, option: str) -> None:
    """``path`` can be written as a file: it is not a folder and its parent is (or can be) a
    writable folder."""
    if path.is_dir():
        raise OutputError(f"{option} {path} is a folder; give a file name")
    check_parent(path, option)


def check_parent(path: Path, option: str) -> None:
    """Every existing ancestor of ``path`` is a folder, and the nearest one is writable."""
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"{option} {path}: {parent} is a file, not a folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise OutputError(f"{option} {path}: cannot write in {parent} (permission "
                                  "denied)")
            return


def check_folder_target(folder: Path, option: str, force: bool = False,
                        allow_existing: bool = False, resumable: str | None = None) -> None:
    """``folder`` can receive results: not a file, a writable parent, and (unless
    ``allow_existing``) empty or, with ``force``, a vtsim results folder that may be
    replaced. ``resumable`` names the file that marks a run the command can continue
    (``--resume``), so that the refusal offers it."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{option} {folder} is a file, not a folder; choose a folder name "
                          "(it is created)")
    check_parent(folder, option)
    if not folder.exists() or allow_existing:
        return
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{option} {folder}: cannot write in it (permission denied)")
    present = sorted(entry.name for entry in folder.iterdir())
    if not present:
        return
    if not force:
        resume = ("add --resume to continue it, --force to replace it"
                  if resumable is not None and resumable in present else
                  "add --force to replace it")
        raise OutputError(f"{folder} already holds {listed(present)}; {resume}, or choose "
                          f"another {option}")
    here = Path.cwd().resolve()
    if folder.resolve() in (here, *here.parents):
        raise OutputError(f"{option} {folder} is the current folder (or holds it); vtsim will "
                          "not replace it: choose a results folder inside it")
    foreign = [name for name in present if not is_vtsim_output(name)]
    if foreign:
        raise OutputError(f"{folder} holds {listed(foreign)}, which vtsim did not write; it "
                          f"will not delete them even with --force: move them, or choose "
                          f"another {option}")


def is_vtsim_output(name: str) -> bool:
    """Whether a name in a results folder is one vtsim writes."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in VTSIM_OUTPUTS)


def listed(names: list[str]) -> str:
    """``a, b, c and 4 more``."""
    shown = ", ".join(names[:SHOWN])
    return shown if len(names) <= SHOWN else f"{shown} and {len(names) - SHOWN} more"


def clear_folder(folder: Path) -> None:
    """Remove a results folder that :func:`check_folder_target` accepted with ``force``."""
    if folder.is_dir():
        shutil.rmtree(folder)


@contextlib.contextmanager
def fresh_folder(folder: Path) -> Iterator[Path]:
    """A new, empty folder beside ``folder`` to write results into; when the block ends
    without an error it takes the place of ``folder`` (whose old content is deleted). On an
    error the new folder is removed and ``folder`` is left as it was. An empty ``folder`` that
    exists is written into directly."""
    if folder.is_dir() and not any(folder.iterdir()):
        yield folder
        return
    folder = folder.resolve()
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.with_name(f".{folder.name}.writing-{os.getpid()}")
    clear_folder(staging)
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    foreign = [e.name for e in folder.iterdir() if not is_vtsim_output(e.name)] \
        if folder.is_dir() else []
    if foreign:
        raise OutputError(f"{folder} now holds {listed(sorted(foreign))}, put there while vtsim "
                          f"ran; it was left as it is and the results are in {staging}")
    old = folder.with_name(f".{folder.name}.replaced-{os.getpid()}")
    if folder.exists():
        folder.rename(old)
    staging.rename(folder)
    clear_folder(old)
