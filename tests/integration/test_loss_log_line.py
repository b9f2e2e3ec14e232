"""``vtsim centre`` logs one clear line when sequence numbers go missing, not one per gap."""

from __future__ import annotations

import time
from pathlib import Path

from devices.transport.mqtt import BrokerAddress, MqttTransport
from tests.centre_process import CentreProcess, wait_for
from tests.mqtt_cases import DEVICE, KIND, alarm


def test_the_centre_logs_suspected_broker_loss_once(mosquitto_broker: BrokerAddress,
                                                    tenant: str, tmp_path: Path) -> None:
    centre = CentreProcess(mosquitto_broker, tenant, tmp_path / "c.db", tmp_path / "c.log")
    device = MqttTransport(mosquitto_broker, f"dev-{tenant}")
    device.connect()
    topic = f"vt/v1/{tenant}/{KIND}/{DEVICE}/events"
    try:
        for seq in (0, 3, 9, 20):  # 2 + 5 + 10 numbers never sent
            device.publish(topic, alarm(seq, ts=time.time()), qos=1)
            time.sleep(0.3)
        wait_for(lambda: "possible message loss" in centre.output(), 20.0, "the loss line")
        time.sleep(1.5)  # three more health reports: no more lines
    finally:
        device.close()
        centre.stop()
    lines = [line for line in centre.output().splitlines() if "possible message loss" in line]
    assert len(lines) == 1, lines
    assert "max_queued_messages" in lines[0] and "docs/mosquitto/vtsim.conf" in lines[0]
