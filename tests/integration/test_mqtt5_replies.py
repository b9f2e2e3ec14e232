"""MQTT 5 request/response with the live centre on a real Mosquitto.

A device that names a Response Topic and Correlation Data (``mosquitto_pub -V mqttv5 -D
publish response-topic ...``) gets the centre's answer there too, with its correlation data,
as long as the topic lies in its own reply namespace. The usual answer topic is kept.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from devices.contract.catalog import DEVICE_TYPES
from devices.contract.codec import format_ts
from devices.contract.examples import example_message
from devices.transport.mqtt import BrokerAddress, MqttTransport, ReceivedMessage
from tests.centre_process import CentreProcess, wait_for

pytestmark = pytest.mark.skipif(shutil.which("mosquitto_pub") is None,
                                reason="mosquitto_pub (Debian's mosquitto-clients) is missing")
DEVICE = "sa-0042"


@pytest.fixture
def centre(mosquitto_broker: BrokerAddress, tenant: str, tmp_path: Path) -> Iterator[str]:
    process = CentreProcess(mosquitto_broker, tenant, tmp_path / "c.db", tmp_path / "c.log")
    try:
        yield tenant
    finally:
        process.stop()


def publish_v5(broker: BrokerAddress, topic: str, payload: bytes, *properties: str) -> None:
    subprocess.run(["mosquitto_pub", "-h", broker.host, "-p", str(broker.port), "-V", "mqttv5",
                    "-q", "1", "-t", topic, "-m", payload.decode(), *properties],
                   check=True, timeout=10)


def alarm(seq: int) -> bytes:
    body = example_message(DEVICE_TYPES["safety_alarm"].events["button_need"])
    return orjson.dumps(body | {"device_id": DEVICE, "message_id": f"{DEVICE}-{seq:08d}",
                                "seq": seq, "ts": format_ts(time.time())})


def test_an_mqtt5_request_gets_its_answer_on_its_response_topic_with_its_correlation(
    centre: str, mosquitto_broker: BrokerAddress
) -> None:
    tenant = centre
    heard: list[ReceivedMessage] = []
    observer = MqttTransport(mosquitto_broker, f"observer-{tenant}")
    observer.subscribe_messages(f"vt/v1/{tenant}/centre/#", heard.append)
    observer.connect()
    topic = f"vt/v1/{tenant}/safety_alarm/{DEVICE}/events"
    own = f"vt/v1/{tenant}/centre/reply/{DEVICE}/r1"
    foreign = f"vt/v1/{tenant}/centre/reply/sa-0001"
    publish_v5(mosquitto_broker, topic, alarm(1), "-D", "publish", "response-topic", own,
               "-D", "publish", "correlation-data", "req-1")
    publish_v5(mosquitto_broker, topic, b"{not json", "-D", "publish", "response-topic", own,
               "-D", "publish", "correlation-data", "req-2")
    publish_v5(mosquitto_broker, topic, alarm(2), "-D", "publish", "response-topic", foreign,
               "-D", "publish", "correlation-data", "req-3")
    wait_for(lambda: observer.drain(timeout=0.05) >= 0 and len(heard) >= 5, 20.0,
             "three answers and two replies")
    time.sleep(0.3)
    observer.drain(timeout=0.2)
    observer.close()
    replies = [(m.correlation_data, orjson.loads(m.payload)) for m in heard if m.topic == own]
    assert [(data, body.get("reason", "ack")) for data, body in replies] == [
        (b"req-1", "ack"), (b"req-2", "not_json")]
    assert replies[0][1]["message_id"] == f"{DEVICE}-00000001"
    usual = [m.topic.split("/")[4] for m in heard if m.topic.endswith(f"/{DEVICE}")]
    assert usual == ["ack", "rejected", "ack"]
    assert not [m for m in heard if m.topic == foreign], "no answer on another device's topic"
