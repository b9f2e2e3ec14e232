"""The Mosquitto ACL of docs/vendors.md does what the docs say, on a real Mosquitto."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time

import numpy as np
import pytest

from devices.models.medicine_dispenser import MedicineDispenser
from devices.transport.mqtt import BrokerAddress, BrokerRefused, MqttTransport, ReceivedMessage
from tests.brokers import MosquittoBroker, mosquitto_binary, pump, write_password_file
from tests.conftest import ROOT
from vtsim.live.centre import LiveCentre

pytestmark = pytest.mark.skipif(
    mosquitto_binary() is None or shutil.which("mosquitto_passwd") is None,
    reason="mosquitto is not installed",
)
ACCOUNTS = {"centre-lier": "centre-pw", "disp-0042": "device-pw", "disp-0043": "other-pw"}
KIND = "medicine_dispenser"


def documented_acl() -> str:
    """The ACL file as shown in docs/vendors.md."""
    text = (ROOT / "docs" / "vendors.md").read_text(encoding="utf-8")
    found = re.search(r"`/etc/mosquitto/vtsim\.acl`:\n\n```\n(.*?)```", text, re.DOTALL)
    assert found, "docs/vendors.md shows no vtsim.acl"
    return found.group(1)


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> BrokerAddress:
    """Mosquitto with the documented ACL and a password file of three accounts."""
    folder = tmp_path_factory.mktemp("acl")
    passwords = write_password_file(folder / "vtsim.passwd", ACCOUNTS)
    acl = folder / "vtsim.acl"
    acl.write_text(documented_acl(), encoding="utf-8")
    broker = MosquittoBroker(folder, extra=f"password_file {passwords}\nacl_file {acl}",
                             login=("centre-lier", ACCOUNTS["centre-lier"]))
    yield broker.address  # type: ignore[misc]
    broker.stop()


def login(address: BrokerAddress, user: str, password: str | None = None, *,
          manual_ack: bool = False) -> MqttTransport:
    """A connected client of ``user`` (``manual_ack``: acknowledging as ``vtsim centre`` does)."""
    account = BrokerAddress(address.host, address.port, username=user,
                            password=password or ACCOUNTS[user])
    transport = MqttTransport(account, f"{user}-{time.time_ns()}", manual_ack=manual_ack)
    transport.connect()
    return transport


def test_a_device_publishes_under_its_own_id_only_and_reads_its_own_answers(
    secured: BrokerAddress,
) -> None:
    centre_transport = login(secured, "centre-lier")
    centre = LiveCentre(centre_transport, tenant="lier")
    centre.start()
    device = login(secured, "disp-0042")
    own_answers: list[ReceivedMessage] = []
    device.subscribe_messages("vt/v1/lier/centre/+/disp-0042", own_answers.append)
    other = login(secured, "disp-0043")
    overheard: list[ReceivedMessage] = []
    other.subscribe_messages("vt/v1/lier/centre/+/disp-0042", overheard.append)
    try:
        now = time.time()
        own = f"vt/v1/lier/{KIND}/disp-0042/events"
        device.publish(own, dose_missed("disp-0042", now))
        device.publish(f"vt/v1/lier/{KIND}/disp-0043/events", dose_missed("disp-0043", now))
        assert device.flush(10.0)
        pump([centre_transport, device, other], 1.5)
        assert [a.topic for a in own_answers] == ["vt/v1/lier/centre/ack/disp-0042"]
        assert overheard == []
        assert device.stats.publish_errors == 1, "the broker did not refuse the foreign topic"
        assert centre.snapshot().messages == 1
    finally:
        for transport in (centre_transport, device, other):
            transport.close()


def test_a_device_reads_its_own_mqtt5_replies_and_no_other_device_does(
    secured: BrokerAddress,
) -> None:
    centre_transport = login(secured, "centre-lier", manual_ack=True)  # as `vtsim centre`
    centre = LiveCentre(centre_transport, tenant="lier")
    centre.start()
    device = login(secured, "disp-0042")
    replies: list[ReceivedMessage] = []
    device.subscribe_messages("vt/v1/lier/centre/reply/disp-0042/#", replies.append)
    other = login(secured, "disp-0043")
    overheard: list[ReceivedMessage] = []
    other.subscribe_messages("vt/v1/lier/centre/reply/disp-0042/#", overheard.append)
    try:
        own = "vt/v1/lier/centre/reply/disp-0042"
        for number, reply_topic in enumerate((own, f"{own}/r1")):
            message = json.loads(dose_missed("disp-0042", time.time()))
            message["message_id"] = f"mqtt5-reply-{number}"
            publish_v5_as("disp-0042", secured, f"vt/v1/lier/{KIND}/disp-0042/events",
                          json.dumps(message), "-D", "publish", "response-topic", reply_topic,
                          "-D", "publish", "correlation-data", f"req-{number}")
        pump([centre_transport, device, other], 1.5)
        assert [(m.topic, m.correlation_data) for m in replies] == [
            (own, b"req-0"), (f"{own}/r1", b"req-1")]
        assert overheard == []
    finally:
        for transport in (centre_transport, device, other):
            transport.close()


def publish_v5_as(user: str, address: BrokerAddress, topic: str, payload: str,
                  *properties: str) -> None:
    """``mosquitto_pub`` an MQTT 5 message as ``user`` (its properties as ``-D`` options)."""
    subprocess.run(["mosquitto_pub", "-h", address.host, "-p", str(address.port), "-u", user,
                    "-P", ACCOUNTS[user], "-V", "mqttv5", "-q", "1", "-t", topic,
                    "-m", payload, *properties], check=True, timeout=10, capture_output=True)


def test_a_wrong_password_is_refused(secured: BrokerAddress) -> None:
    with pytest.raises(BrokerRefused, match="refused the connection"):
        login(secured, "disp-0042", "guess")


def dose_missed(device_id: str, now: float) -> bytes:
    """A valid dose-missed message of a dispenser."""
    dispenser = MedicineDispenser(device_id, "lier")
    fields = dispenser.sample_fields("dose_missed", np.random.default_rng(7))
    return dispenser.make_message("dose_missed", now, fields)
