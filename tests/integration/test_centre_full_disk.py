"""A full disk: the centre's SQLite file cannot grow, and then it can again.

A full disk is made with the process's file-size limit (``RLIMIT_FSIZE``), lowered on the
running centre with ``prlimit`` to the size its files have: every write that would make a file
longer fails with ``EFBIG``, as it fails with ``ENOSPC`` on a full disk (SQLite then says
"database or disk is full", or "disk I/O error" when the failed write was a checkpoint's).
Python ignores ``SIGXFSZ``, so the write fails instead of killing the process. Unlike a small
tmpfs it needs no privileges and no mount, and unlike filling a real disk it harms nobody else
on the machine; the limit is then raised again on the same process, as space coming back. It
exists on Linux only (``resource.prlimit``); elsewhere the test is skipped.

The centre must stop acknowledging (so that the broker keeps the messages), report the store
failing in its health, stay up, and once it can write again store every alarm exactly once.
"""

from __future__ import annotations

import resource
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.brokers import MosquittoBroker, mosquitto_binary
from tests.centre_process import AlarmStream, CentreProcess, stored_alarm_ids, wait_for
from tests.integration.test_centre_survives import HealthWatch, assert_each_once

pytestmark = [
    pytest.mark.skipif(mosquitto_binary() is None, reason="mosquitto is not installed"),
    pytest.mark.skipif(not hasattr(resource, "prlimit"),
                       reason="no prlimit: the file-size limit of a running process is Linux's"),
    pytest.mark.skipif(signal.getsignal(signal.SIGXFSZ) != signal.SIG_IGN
                       if hasattr(signal, "SIGXFSZ") else True,
                       reason="this Python does not ignore SIGXFSZ"),
]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    folder = tmp_path / "mosquitto"
    folder.mkdir()
    running = MosquittoBroker(folder, persistent=True)
    yield running
    running.stop()


def file_sizes(db: Path, log: Path) -> dict[str, int]:
    """Sizes of the files the centre writes (its database, the database's journal, its log)."""
    files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"), log]
    return {path.name: path.stat().st_size for path in files if path.exists()}


def fill_disk(pid: int, limit: int) -> None:
    """No file of the process may grow beyond ``limit`` bytes (the hard limit stays)."""
    _, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, hard))


def free_disk(pid: int) -> None:
    """Files of the process may grow again, as far as they could before."""
    _, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (hard, hard))


def test_a_full_disk_stops_acknowledgements_is_reported_and_every_alarm_is_stored_once_after(
        broker: MosquittoBroker, tenant: str, tmp_path: Path) -> None:
    db, log = tmp_path / "centre.db", tmp_path / "centre.log"
    centre = CentreProcess(broker.address, tenant, db, log)
    health = HealthWatch(broker.address, tenant)
    try:
        first = AlarmStream(broker.address, tenant, 100, 200.0, devices=5).start()
        sent = first.finish()
        time.sleep(1.5)  # the WAL checkpoint and the health reports of the quiet moment
        sizes = file_sizes(db, log)
        fill_disk(centre.process.pid, max(sizes.values()))
        print(f"files when the disk filled: {sizes}")

        second = AlarmStream(broker.address, tenant, 600, 300.0, devices=5, seed=2,
                             prefix="b").start()

        wait_for(lambda: health.store_state("failing"), 15, "health: store failing")
        failing = health.latest()
        assert failing["state"] == "degraded", failing
        held = len(stored_alarm_ids(db))
        acknowledged = len(second.answered)
        time.sleep(3.0)
        assert len(stored_alarm_ids(db)) == held, "nothing is stored while the disk is full"
        assert len(second.answered) == acknowledged, "nothing is acknowledged meanwhile"
        assert held < len(sent) + 600, "the disk filled too late to matter"
        assert centre.process.poll() is None, "the centre must ride out a full disk"
        print(f"stored while full: {held - len(sent)} of 600; store: {failing['store']}")

        free_disk(centre.process.pid)
        sent += second.finish(timeout=90)
        wait_for(lambda: health.store_state("ok") and health.latest()["state"] == "running", 20,
                 "health: store ok again")
        assert_each_once(db, sent)
        assert centre.process.poll() is None
        assert "the store failed" in centre.output() and "store back" in centre.output()
    finally:
        health.close()
        assert centre.stop() == 0
