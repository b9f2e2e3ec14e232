"""The live centre's ``scaip`` channel: in process, and through a Mosquitto the test starts.

A SCAIP alarm published on ``vt/v1/{tenant}/scaip/{cid}`` becomes an incident by the same rules
as a JSON alarm, and is answered on ``vt/v1/{tenant}/centre/scaip/{cid}`` with an ``mrs`` and
the contract verdict; what cannot be translated is stored, counted and answered there too.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from devices.contract.catalog import DEVICE_TYPES
from devices.contract.rate_limit import RateLimit
from devices.contract.scaip import mrq_document
from devices.transport.base import InProcessTransport
from devices.transport.mqtt import BrokerAddress, MqttTransport, ReceivedMessage
from tests.centre_process import CentreProcess, stored_rows, wait_for
from vtsim.live.centre import Answer, LiveCentre
from vtsim.live.scaip_channel import ScaipChannel
from vtsim.live.store import MemoryStore

NOW = 1_767_600_000.0
TOPIC = "vt/v1/lier/scaip/4711"
REPLY = "vt/v1/lier/centre/scaip/4711"
FALL = mrq_document(DEVICE_TYPES["safety_alarm"].events["fall_detected"], {"confidence": 0.9},
                    ref="F1", cid="4711", did="2")
BUTTON = mrq_document(DEVICE_TYPES["safety_alarm"].events["button_need"], {}, ref="B1",
                      cid="4711", did="1")
HEARTBEAT = mrq_document(DEVICE_TYPES["safety_alarm"].events["heartbeat"], {"battery_pct": 80},
                         ref="H1", cid="4711", did="1")
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
          b"<mrq><ref>1</ref><cid>4711</cid><dty>3</dty><stc>10</stc><ite>&b;</ite></mrq>")


def channel_on(**options: Any) -> tuple[InProcessTransport, LiveCentre, list[tuple[str, bytes]],
                                       list[Answer]]:
    bus = InProcessTransport()
    published: list[tuple[str, bytes]] = []
    answers: list[Answer] = []
    bus.subscribe("vt/v1/+/centre/#", lambda topic, payload: published.append((topic, payload)))
    centre = LiveCentre(bus, clock=lambda: NOW, store=MemoryStore(), on_answer=answers.append,
                        **options)
    centre.start()
    ScaipChannel(centre, clock=lambda: NOW).start()
    return bus, centre, published, answers


def replies(published: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
    return [orjson.loads(body) for topic, body in published if topic == REPLY]


def test_a_scaip_alarm_becomes_an_incident_and_gets_an_mrs() -> None:
    bus, centre, published, answers = channel_on()
    bus.publish(TOPIC, FALL)
    (reply,) = replies(published)
    assert (reply["snu"], reply["verdict"], reply["place"], reply["ref"]) == (
        0, "accepted", "incident", "F1")
    assert reply["topic"] == "vt/v1/lier/safety_alarm/4711-2/events"
    assert "<ref>F1</ref><snu>0</snu>" in reply["mrs"]
    assert reply["incident_id"].startswith("lier/4711-2/F1/fall_detected/0/")
    assert "vt/v1/lier/centre/ack/4711-2" in [topic for topic, _ in published]
    assert [(a.verdict, a.place, a.incident_id) for a in answers] == [
        ("accepted", "incident", reply["incident_id"])]
    assert centre.store.counts().incidents == 1


def test_a_resend_is_a_duplicate_answered_ok_and_the_next_alarm_continues_the_sequence() -> None:
    bus, centre, published, _ = channel_on()
    bus.publish(TOPIC, BUTTON)
    bus.publish(TOPIC, BUTTON)
    bus.publish(TOPIC, BUTTON.replace(b"<ref>B1</ref>", b"<ref>B2</ref>"))
    assert [(r["verdict"], r["snu"], r.get("place")) for r in replies(published)] == [
        ("accepted", 0, "incident"), ("duplicate", 0, "duplicate"), ("accepted", 0, "correlated")]
    assert centre.last_seq("lier", "4711-1") == 1
    (device,) = centre.snapshot().devices
    assert device.gaps == 0 and device.out_of_order == 0


def test_untranslatable_payloads_are_stored_counted_and_answered() -> None:
    bus, centre, published, answers = channel_on()
    bus.publish(TOPIC, LAUGHS)
    bus.publish(TOPIC, b"\xff\xfe<mrq/>")
    bus.publish("vt/v1/lier/scaip/9999", FALL)  # the topic's controller is not the cid
    assert [(r["verdict"], r["snu"]) for r in replies(published)] == [
        ("forbidden_xml", 2), ("invalid_encoding", 2)]
    mismatch = [orjson.loads(b) for t, b in published if t == "vt/v1/lier/centre/scaip/9999"]
    assert [(r["verdict"], r["faults"][0]["scaip_element"]) for r in mismatch] == [
        ("topic_mismatch", "cid")]
    assert [a.verdict for a in answers] == ["forbidden_xml", "invalid_encoding", "topic_mismatch"]
    assert centre.store.counts().rejections == 3
    assert centre.snapshot().messages == 3


def test_a_contract_fault_is_answered_with_its_element_and_path() -> None:
    bus, _, published, _ = channel_on()
    bus.publish(TOPIC, b"<mrq><ref>Z</ref><cid>4711</cid><dty>2</dty><stc>16</stc></mrq>")
    (reply,) = replies(published)
    assert (reply["verdict"], reply["snu"]) == ("schema", 3)
    assert (reply["faults"][0]["scaip_element"], reply["faults"][0]["path"]) == (
        "ite battery_pct=", "battery_pct")
    assert "vt/v1/lier/centre/rejected/4711" in [topic for topic, _ in published]


def test_the_rate_limit_answers_busy() -> None:
    """Heartbeats beyond the limit (a burst by arrival, one by send time) are answered busy;
    an alarm over the limit is handled all the same."""
    bus, _, published, _ = channel_on(rate_limit=RateLimit(rate_per_s=0.001, burst=1))
    for ref in (b"H1", b"H2", b"H3"):
        bus.publish(TOPIC, HEARTBEAT.replace(b"<ref>H1</ref>", b"<ref>" + ref + b"</ref>"))
    bus.publish(TOPIC, BUTTON)
    assert [(r["verdict"], r["snu"]) for r in replies(published)] == [
        ("accepted", 0), ("accepted", 0), ("rate_limited", 6), ("accepted", 0)]


# --- on a real broker -------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("mosquitto_pub") is None,
                    reason="mosquitto_pub (Debian's mosquitto-clients) is missing")
@pytest.mark.parametrize("broker", ["mosquitto_broker", "amqtt_broker"])
def test_a_scaip_alarm_sent_with_mosquitto_pub_becomes_an_incident_on_either_broker(
    broker: str, tenant: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    address: BrokerAddress = request.getfixturevalue(broker)
    centre = CentreProcess(address, tenant, tmp_path / "c.db", tmp_path / "c.log")
    heard: list[ReceivedMessage] = []
    observer = MqttTransport(address, f"observer-{tenant}")
    observer.subscribe_messages(f"vt/v1/{tenant}/centre/scaip/#", heard.append)
    observer.connect()
    try:
        for payload in (FALL, LAUGHS):
            subprocess.run(["mosquitto_pub", "-h", address.host, "-p",
                            str(address.port), "-q", "1", "-t",
                            f"vt/v1/{tenant}/scaip/4711", "-s"], input=payload, check=True,
                           timeout=10)
        wait_for(lambda: observer.drain(timeout=0.05) >= 0 and len(heard) >= 2, 20.0,
                 "two SCAIP answers")
    finally:
        observer.close()
        centre.stop()
    answers = [orjson.loads(message.payload) for message in heard]
    assert [(a["verdict"], a["snu"]) for a in answers] == [("accepted", 0), ("forbidden_xml", 2)]
    assert answers[0]["place"] == "incident"
    stored = stored_rows(tmp_path / "c.db", "SELECT kind, device_id, state FROM incidents")
    assert stored == [("fall_detected", "4711-2", "open")]


@pytest.mark.parametrize("did", ["a/b", "x+y", "#", "ø"])
def test_a_device_id_that_cannot_be_a_topic_level_is_refused_with_its_elements(did: str) -> None:
    bus, centre, published, answers = channel_on()
    bus.publish(TOPIC, f"<mrq><ref>D1</ref><cid>4711</cid><dty>3</dty><did>{did}</did>"
                       "<stc>10</stc></mrq>".encode())
    (reply,) = replies(published)
    assert reply["snu"] == 3 and reply["verdict"] in ("bad_topic", "schema")
    assert reply["faults"][0]["scaip_element"] == "cid/did"
    assert len(answers) == 1 and centre.snapshot().messages == 1


def test_every_answer_follows_the_published_answer_schema() -> None:
    import jsonschema

    from devices.contract.scaip_answers import answer_schema

    bus, _, published, _ = channel_on(rate_limit=RateLimit(rate_per_s=0.001, burst=2))
    for payload in (FALL, FALL, BUTTON, BUTTON.replace(b"B1", b"B2"),
                    BUTTON.replace(b"B1", b"B3"), HEARTBEAT, HEARTBEAT.replace(b"H1", b"H2"),
                    LAUGHS, b" ", b"<mrs/>",
                    b"<mrq><ref>Z</ref><cid>4711</cid><dty>2</dty><stc>16</stc></mrq>",
                    b"<mrq><ref>Y</ref><cid>4711</cid><dty>23</dty><stc>9</stc></mrq>"):
        bus.publish(TOPIC, payload)
    answers = replies(published)
    assert len(answers) == 12
    assert {a["verdict"] for a in answers} >= {"accepted", "duplicate", "rate_limited",
                                               "forbidden_xml", "not_xml", "not_mrq",
                                               "unmapped_code"}
    validator = jsonschema.Draft7Validator(answer_schema())
    for answer in answers:
        validator.validate(answer)


def test_a_fault_of_the_centre_is_answered_not_treated_and_the_channel_goes_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import vtsim.live.scaip_channel as channel

    bus, _, published, answers = channel_on()

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(channel, "translate", broken)
    bus.publish(TOPIC, FALL)
    monkeypatch.undo()
    bus.publish(TOPIC, FALL)
    assert [(r["verdict"], r["snu"]) for r in replies(published)] == [
        ("centre_error", 5), ("accepted", 0)]
    assert "boom" in replies(published)[0]["faults"][0]["got"]
    assert [a.verdict for a in answers] == ["centre_error", "accepted"]


def test_clearing_a_retained_scaip_payload_is_counted_not_answered() -> None:
    bus, centre, published, answers = channel_on()
    bus.publish(TOPIC, b"", retain=True)
    assert published == [] and answers == []
    assert centre.snapshot().totals == {"cleared_retained": 1}


def test_a_scaip_payload_under_a_tenant_outside_the_scheme_is_not_answered() -> None:
    bus, _, published, answers = channel_on()
    for tenant in ("lïer", "centre"):
        bus.publish(f"vt/v1/{tenant}/scaip/4711", FALL)
    assert published == []
    assert [(a.verdict, a.answered_on) for a in answers] == [("bad_topic", None)] * 2
