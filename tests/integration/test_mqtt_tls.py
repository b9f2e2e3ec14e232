"""TLS, passwords and the ACL of docs/deployment.md, on a real Mosquitto with throwaway certs.

A CA, a server certificate (for 127.0.0.1) and a client certificate are made with ``openssl``;
Mosquitto listens with TLS, requires client certificates and passwords, and applies the ACL
shown in the deployment guide. Unauthorised clients cannot connect, a device cannot publish in
another device's name, and nobody reads another tenant's messages; ``vtsim centre`` logs in
with ``--cafile/--certfile/--keyfile/--username/--password``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from devices.transport.mqtt import BrokerAddress, BrokerUnavailable, MqttTransport, ReceivedMessage
from tests.brokers import MosquittoBroker, mosquitto_binary, pump, write_password_file
from tests.centre_process import CentreProcess, stored_alarm_ids, wait_for
from tests.conftest import ROOT
from tests.mqtt_cases import KIND, alarm

pytestmark = pytest.mark.skipif(
    mosquitto_binary() is None or shutil.which("mosquitto_passwd") is None
    or shutil.which("openssl") is None,
    reason="mosquitto, mosquitto_passwd or openssl is not installed",
)
ACCOUNTS = {"centre-lier": "c-lier", "centre-baerum": "c-baerum", "sa-0001": "d1",
            "sa-0002": "d2", "sa-0900": "d900"}
"""sa-0001 and sa-0002 belong to lier, sa-0900 to baerum."""


def documented(kind: str) -> str:
    """A file shown in docs/deployment.md (``vtsim.acl``)."""
    text = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    found = re.search(rf"`/etc/mosquitto/{re.escape(kind)}`:\n\n```\n(.*?)```", text, re.DOTALL)
    assert found, f"docs/deployment.md shows no {kind}"
    return found.group(1)


def openssl(*args: str, cwd: Path) -> None:
    """Run ``openssl`` quietly in ``cwd``."""
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certificates(folder: Path) -> None:
    """ca.crt, server.crt (for IP 127.0.0.1), client.crt and their keys in ``folder``."""
    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *curve, "-days", "2", "-keyout", "ca.key", "-out", "ca.crt",
            "-subj", "/CN=vtsim test CA", cwd=folder)
    (folder / "server.ext").write_text("subjectAltName=IP:127.0.0.1\n", encoding="utf-8")
    for name, extra in (("server", ["-extfile", "server.ext"]), ("client", [])):
        openssl("req", *curve, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", f"/CN=vtsim test {name}", cwd=folder)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", *extra, "-out", f"{name}.crt", cwd=folder)
    for key in folder.glob("*.key"):
        key.chmod(0o644)  # Mosquitto runs as this user and must read the server key


@dataclass(frozen=True)
class SecuredBroker:
    """Where the TLS broker listens and the files a client needs."""

    address: BrokerAddress
    folder: Path

    def account(self, user: str, password: str | None = None) -> BrokerAddress:
        """The address with TLS files and ``user``'s login."""
        return replace(self.address, username=user,
                       password=ACCOUNTS[user] if password is None else password)


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredBroker]:
    """Mosquitto with TLS, client certificates, a password file and the documented ACL."""
    folder = tmp_path_factory.mktemp("tls")
    make_certificates(folder)
    passwords = write_password_file(folder / "vtsim.passwd", ACCOUNTS)
    acl = folder / "vtsim.acl"
    acl.write_text(documented("vtsim.acl"), encoding="utf-8")
    tls = BrokerAddress("127.0.0.1", 0, tls=True, ca_file=str(folder / "ca.crt"),
                        cert_file=str(folder / "client.crt"),
                        key_file=str(folder / "client.key"))
    listener = "\n".join([f"cafile {folder / 'ca.crt'}", f"certfile {folder / 'server.crt'}",
                          f"keyfile {folder / 'server.key'}", "require_certificate true"])
    broker = MosquittoBroker(folder, extra=f"password_file {passwords}\nacl_file {acl}",
                             login=("centre-lier", ACCOUNTS["centre-lier"]), listener=listener,
                             probe=tls)
    yield SecuredBroker(replace(tls, port=broker.address.port), folder)
    broker.stop()


def connect(address: BrokerAddress, name: str) -> MqttTransport:
    """A connected client (MQTT 5, no fallback: a refusal must show as one)."""
    transport = MqttTransport(address, f"{name}-{time.time_ns()}", fallback=False)
    transport.connect(timeout=5)
    return transport


def test_unauthorised_clients_cannot_connect(secured: SecuredBroker) -> None:
    good = secured.account("sa-0001")
    connect(good, "sa-0001").close()  # the right files and password do connect
    refused = {
        "plain TCP": replace(good, tls=False),
        "no client certificate": replace(good, cert_file=None, key_file=None),
        "the system's CAs only (server not trusted)": replace(good, ca_file=None),
        "wrong password": secured.account("sa-0001", "guess"),
        "unknown account": replace(good, username="sa-9999"),
        "no account": replace(good, username=None, password=None),
    }
    for what, address in refused.items():
        with pytest.raises(BrokerUnavailable):
            connect(address, "intruder").close()
            pytest.fail(f"connected with {what}")


def test_devices_publish_as_themselves_and_read_only_their_own_tenant(
    secured: SecuredBroker,
) -> None:
    device = connect(secured.account("sa-0001"), "sa-0001")
    neighbour = connect(secured.account("sa-0002"), "sa-0002")
    foreign = connect(secured.account("sa-0900"), "sa-0900")
    centre = connect(secured.account("centre-lier"), "centre-lier")
    other_centre = connect(secured.account("centre-baerum"), "centre-baerum")
    seen: dict[str, list[ReceivedMessage]] = {name: [] for name in
                                              ("lier", "baerum", "neighbour", "foreign")}
    centre.subscribe_messages("vt/v1/lier/+/+/events", seen["lier"].append)
    other_centre.subscribe_messages("vt/v1/+/+/+/events", seen["baerum"].append)
    neighbour.subscribe_messages("vt/v1/#", seen["neighbour"].append)
    foreign.subscribe_messages("vt/v1/#", seen["foreign"].append)
    clients = [device, neighbour, foreign, centre, other_centre]
    try:
        now = time.time()
        device.publish(f"vt/v1/lier/{KIND}/sa-0001/events", alarm(1, device_id="sa-0001",
                                                                   ts=now))
        device.publish(f"vt/v1/lier/{KIND}/sa-0002/events", alarm(1, device_id="sa-0002",
                                                                   ts=now))
        foreign.publish(f"vt/v1/baerum/{KIND}/sa-0900/events", alarm(1, device_id="sa-0900",
                                                                      ts=now))
        centre.publish("vt/v1/lier/centre/ack/sa-0002", b"{}")  # its own tenant: allowed
        centre.publish("vt/v1/baerum/centre/ack/sa-0900", b"{}")  # another tenant: refused
        for client in (device, foreign, centre):
            assert client.flush(10)
        pump(clients, 1.5)
        assert [m.topic for m in seen["lier"]] == [f"vt/v1/lier/{KIND}/sa-0001/events"]
        assert device.stats.publish_errors == 1, "a device published as another device"
        assert centre.stats.publish_errors == 1, "a centre wrote into another tenant"
        assert [m.topic for m in seen["baerum"]] == [f"vt/v1/baerum/{KIND}/sa-0900/events"], (
            "baerum's centre read lier (or missed its own device)")
        assert [m.topic for m in seen["neighbour"]] == ["vt/v1/lier/centre/ack/sa-0002"]
        assert seen["foreign"] == [], "a device of baerum read lier (or anything not its own)"
    finally:
        for client in clients:
            client.close()


def test_vtsim_centre_logs_in_with_tls_options_and_answers(
    secured: SecuredBroker, tmp_path: Path
) -> None:
    folder = secured.folder
    db = tmp_path / "centre.db"
    login = ["--cafile", str(folder / "ca.crt"), "--certfile", str(folder / "client.crt"),
             "--keyfile", str(folder / "client.key"), "--username", "centre-lier",
             "--password", ACCOUNTS["centre-lier"]]
    plain = replace(secured.address, tls=False, ca_file=None, cert_file=None, key_file=None)
    centre = CentreProcess(plain, "lier", db, tmp_path / "centre.log", *login)
    device = connect(secured.account("sa-0001"), "sa-0001")
    answers: list[ReceivedMessage] = []
    device.subscribe_messages("vt/v1/lier/centre/+/sa-0001", answers.append)
    try:
        device.publish(f"vt/v1/lier/{KIND}/sa-0001/events",
                       alarm(7, device_id="sa-0001", ts=time.time()))
        wait_for(lambda: device.drain(timeout=0.05) > 0 or bool(answers), 20, "the answer")
        assert [m.topic for m in answers] == ["vt/v1/lier/centre/ack/sa-0001"]
        assert stored_alarm_ids(db) == ["sa-0001-00000007"]
        assert "mqtts://centre-lier@127.0.0.1" in centre.output()  # TLS, from --cafile
        assert ACCOUNTS["centre-lier"] not in centre.output()
    finally:
        device.close()
        assert centre.stop() == 0, centre.output()[-4000:]


@pytest.mark.parametrize("command", ["centre", "emulate", "conformance", "train", "control",
                                     "record", "replay"])
def test_every_broker_command_takes_the_login_options(command: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from vtsim.cli.main import app

    result = CliRunner().invoke(app, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in ("--cafile", "--certfile", "--keyfile", "--username", "--password"):
        assert option in result.output, f"vtsim {command} lacks {option}"


def test_login_options_that_cannot_work_are_explained(tmp_path: Path) -> None:
    from vtsim.cli.broker_login import BrokerLoginError, with_login

    address = BrokerAddress.parse("mqtt://broker:1883")
    with pytest.raises(BrokerLoginError, match="no such file"):
        with_login(address, cafile=tmp_path / "missing.crt")
    cert = tmp_path / "client.crt"
    cert.write_text("x", encoding="utf-8")
    with pytest.raises(BrokerLoginError, match="go together"):
        with_login(address, certfile=cert)
    secured = with_login(address, cafile=cert, username="u", password="p")
    assert (secured.tls, secured.ca_file, secured.username, secured.password) == (
        True, str(cert), "u", "p")
    assert secured.url == "mqtts://u@broker:1883"
