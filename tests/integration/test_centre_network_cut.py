"""A network cut between the devices and the broker delays alarms but loses none.

The devices reach Mosquitto through a TCP proxy the test controls. In the middle of a stream
the proxy drops every connection and refuses new ones for a few seconds; the devices' client
keeps what it could not send, reconnects with backoff and sends it. Afterwards every alarm is
stored exactly once, and those sent during the cut arrived late.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from devices.transport.mqtt import BrokerAddress
from tests.brokers import mosquitto_binary
from tests.centre_process import (
    AlarmStream,
    CentreProcess,
    stored_alarm_ids,
    stored_rows,
    wait_for,
)
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.skipif(mosquitto_binary() is None, reason="mosquitto is not installed")

ALARMS = 150
RATE = 50.0
CUT_S = 2.0


def test_alarms_sent_during_a_network_cut_are_delayed_not_lost(
    mosquitto_broker: BrokerAddress, tenant: str, tmp_path: Path
) -> None:
    db = tmp_path / "centre.db"
    centre = CentreProcess(mosquitto_broker, tenant, db, tmp_path / "centre.log")
    proxy = TcpProxy((mosquitto_broker.host, mosquitto_broker.port))
    stream = AlarmStream(replace(mosquitto_broker, port=proxy.port), tenant, ALARMS, RATE)
    try:
        stream.start()
        wait_for(lambda: len(stored_alarm_ids(db)) >= ALARMS // 4, 30, "a quarter stored")
        proxy.cut()
        cut_at = time.time()
        time.sleep(CUT_S)
        assert not stream.transport.connected
        proxy.restore()
        sent = stream.finish()
        wait_for(lambda: len(stored_alarm_ids(db)) >= ALARMS, 60, "every alarm stored")
        stored = stored_alarm_ids(db)
        assert sorted(stored) == sorted(sent) and len(set(sent)) == ALARMS
        during = [key for key, at in stream.sent_at.items() if cut_at <= at < cut_at + CUT_S]
        assert during, "no alarm was sent during the cut"
        arrived = {str(key): float(str(at)) for key, at in stored_rows(
            db, "SELECT message_id, received_at FROM messages")}
        delays = [arrived[key] - stream.sent_at[key] for key in during]
        assert min(delays) > 0 and max(delays) >= CUT_S * 0.5, delays
        assert stream.transport.stats.reconnects >= 1
    finally:
        proxy.close()
        centre.stop()
