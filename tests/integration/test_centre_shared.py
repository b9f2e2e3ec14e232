"""Centre processes sharing the load through an MQTT 5 share group, on one PostgreSQL store.

Three ``vtsim centre --share-group ops`` processes take their parts of a flood of alarms from
Mosquitto (``$share/ops/...``): each message goes to one of them, so the messages of one
device are split across the three. One hangs for a second mid-flood (SIGSTOP), so that its
share piles up unacknowledged, and is then killed with SIGKILL. The devices resend every alarm
that is not answered (the contract's resend rule). Afterwards every alarm is in PostgreSQL
exactly once and answered, the repeats of each device joined one incident (decided in the
store, whichever process took them), and no number that arrived was reported missing (each
process carries on from the device's stored sequence, under the device's lock): the only
possible-loss incidents allowed are numbers the killed process took with it, resolved once
their resends arrived.

PostgreSQL: the database of ``VTSIM_TEST_POSTGRES`` (default
``postgresql://postgres@127.0.0.1:5432/test``), a schema of its own; skipped with the reason
when no server answers there.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from devices.transport.mqtt import MqttTransport
from tests.brokers import MosquittoBroker, mosquitto_binary
from tests.centre_process import ALARM_MESSAGES, AlarmStream, CentreProcess, wait_for
from tests.conftest import ROOT
from tests.integration.test_centre_store import postgres_schema_url, rows
from tests.mqtt_cases import KIND, alarm
from vtsim.live.store import CentreStore, open_store

pytestmark = pytest.mark.skipif(mosquitto_binary() is None, reason="mosquitto is not installed")

ALARMS = 1_200
RATE = 150.0
DEVICES = 12
GROUP = ["--share-group", "ops"]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """Mosquitto (MQTT 5) on a free port."""
    folder = tmp_path / "mosquitto"
    folder.mkdir()
    running = MosquittoBroker(folder)
    yield running
    running.stop()


@pytest.fixture
def shared_store() -> Iterator[tuple[str, CentreStore]]:
    """A PostgreSQL schema of its own, as a store URL, and the test's own connection to it."""
    schema = postgres_schema_url()
    url = next(schema)
    store = open_store(url)
    try:
        yield url, store
    finally:
        store.close()
        schema.close()  # drops the schema


def answered_lines(centre: CentreProcess) -> int:
    """How many messages this process acknowledged (one ``accepted`` line each)."""
    return sum(1 for line in centre.output().splitlines() if line.startswith("accepted"))


def assert_gaps_only_from_the_kill(store: CentreStore, killed_wall: float) -> None:
    """Every possible-loss incident is resolved, and covers only numbers that reached the
    store after the kill (messages the killed process held unacknowledged, sent again)."""
    gaps = rows(store, "SELECT incident_id, tenant, device_id, state FROM incidents"
                       " WHERE kind = 'possible_loss'")
    for incident_id, tenant, device_id, state in gaps:
        assert state == "resolved", f"{incident_id} still open"
        first, _, last = str(incident_id).rsplit("/", 1)[-1].partition("-")
        arrived = rows(store, f"SELECT received_at FROM messages WHERE tenant = '{tenant}'"
                              f" AND device_id = '{device_id}' AND seq BETWEEN {int(first)}"
                              f" AND {int(last)}")
        assert len(arrived) == int(last) - int(first) + 1
        assert all(float(str(at)) > killed_wall for (at,) in arrived), (
            f"{incident_id}: a number that arrived before the kill was reported missing")
    print(f"possible-loss incidents (all resolved, numbers the killed process held): "
          f"{len(gaps)}")


def test_three_centres_share_a_flood_and_one_killed_loses_and_doubles_nothing(
    broker: MosquittoBroker, shared_store: tuple[str, CentreStore], tenant: str,
    tmp_path: Path,
) -> None:
    url, store = shared_store

    def stored_ids() -> list[str]:
        return [str(row[0]) for row in rows(store, ALARM_MESSAGES)]

    centres = [CentreProcess(broker.address, tenant, url, tmp_path / f"centre-{n}.log", *GROUP)
               for n in range(3)]
    stream = AlarmStream(broker.address, tenant, ALARMS, RATE, devices=DEVICES).start()
    try:
        wait_for(lambda: len(stored_ids()) >= ALARMS // 3, 30, "a third stored")
        centres[1].process.send_signal(signal.SIGSTOP)  # hung: its share piles up unacknowledged
        time.sleep(1.0)
        centres[1].kill()
        killed_wall = time.time()
        killed_at = len(stored_ids())
        assert killed_at < ALARMS, "the flood ended before a centre was killed"
        sent = stream.finish(timeout=60)
        assert stream.resends > 0, "the killed process held no unanswered alarm"
        assert stream.answered.issuperset(sent), (
            f"{len(set(sent) - stream.answered)} alarms never answered")
        wait_for(lambda: len(stored_ids()) >= ALARMS, 30, "every alarm stored")
        stored = stored_ids()
        twice = [key for key, n in Counter(stored).items() if n > 1]
        assert not twice, f"stored twice: {twice[:5]}"
        assert sorted(stored) == sorted(sent) and len(set(sent)) == ALARMS
        assert rows(store, "SELECT COUNT(*) FROM messages") == [(ALARMS,)]
        # the repeats of each device's alarm joined one incident, whichever process took them
        incidents = rows(store, "SELECT device_id, messages FROM incidents"
                                " WHERE kind = 'button_need'")
        assert sorted(str(device) for device, _ in incidents) == sorted(
            f"sa-{n:04d}" for n in range(DEVICES))
        assert sum(int(str(count)) for _, count in incidents) == ALARMS
        # split across processes, no device's sequence shows a gap
        # split across processes, no device's sequence shows a false gap: the only ones are
        # numbers the killed process took with it, resolved once the device's resend came
        assert_gaps_only_from_the_kill(store, killed_wall)
        assert rows(store, "SELECT COALESCE(SUM(gaps), 0) FROM devices") == [(0,)]
        shares = [answered_lines(centre) for centre in centres]
        assert all(share > 0 for share in shares), f"a process took nothing: {shares}"
        print(f"killed with {killed_at} of {ALARMS} stored; acknowledged per process {shares}; "
              f"device resends {stream.resends}")
    finally:
        for centre in centres:
            centre.stop()


def test_a_share_group_on_sqlite_is_refused_with_the_reason(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vtsim", "centre", "--broker", "mqtt://127.0.0.1:1",
         "--db", f"sqlite:///{tmp_path / 'centre.db'}", "--share-group", "ops", "--no-live"],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 2, output
    assert "a share group needs one PostgreSQL store" in output
    assert "--db postgresql://" in output
    assert not (tmp_path / "centre.db").exists()


def test_a_share_group_name_that_is_no_topic_level_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vtsim", "centre", "--db", "postgresql://x@127.0.0.1:1/x",
         "--share-group", "a/b", "--no-live"],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 2, output
    assert "share group 'a/b' is not a valid topic level" in output


def test_one_centre_command_serves_two_tenants_and_reports_each(
    broker: MosquittoBroker, tenant: str, tmp_path: Path,
) -> None:
    other = f"{tenant}-b"
    centre = CentreProcess(broker.address, tenant, tmp_path / "centre.db",
                           tmp_path / "centre.log", "--tenant", other)
    health: list[dict[str, object]] = []
    answers: list[str] = []
    device = MqttTransport(broker.address, f"device-{tenant}")
    device.subscribe("vt/v1/_all/centre/health", lambda _t, p: health.append(orjson.loads(p)))
    device.subscribe("vt/v1/+/centre/ack/+", lambda t, _p: answers.append(t))
    device.connect()
    try:
        for number, served in enumerate((tenant, other, other)):
            device.publish(f"vt/v1/{served}/{KIND}/sa-{number}/events",
                           alarm(1, device_id=f"sa-{number}", ts=time.time()))
        wait_for(lambda: (device.drain(timeout=0.05), len(answers) == 3)[1], 30, "3 answers")
        wait_for(lambda: (device.drain(timeout=0.05), bool(health) and health[-1].get(
            "tenants") == {tenant: {"messages": 1, "accepted": 1, "refused": 0, "devices": 1},
                           other: {"messages": 2, "accepted": 2, "refused": 0, "devices": 2}}
        )[1], 30, f"the health report per tenant (latest: {health[-1:]})")
    finally:
        device.close()
        centre.stop()
    assert sorted(answers) == sorted([f"vt/v1/{tenant}/centre/ack/sa-0",
                                      f"vt/v1/{other}/centre/ack/sa-1",
                                      f"vt/v1/{other}/centre/ack/sa-2"])
    assert f"for tenants {tenant}, {other};" in centre.output()
