"""SCAIP ``mrq`` messages to the contract: round trips, hand-written examples from the public
code tables, hostile XML, unknown codes, resends, the ``mrs`` answer and ``validate --scaip``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from defusedxml.ElementTree import fromstring
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from devices.contract.catalog import DEVICE_TYPES, EventSpec
from devices.contract.codec import Accepted, decode_message
from devices.contract.scaip import (
    MAPPING,
    UNMAPPED,
    ScaipMemory,
    ScaipRequest,
    code_key,
    mrq_document,
    read_mrq,
    translate,
)
from devices.contract.scaip_answers import mrs_document, scaip_reply
from devices.contract.scaip_verdicts import ScaipVerdict, judge_scaip
from devices.contract.validate import Item
from tests.conftest import ROOT
from vtsim.cli.main import app

NOW = 1_767_600_000.0  # 2026-01-05T08:00:00Z
MAPPED = [spec for kind in DEVICE_TYPES.values() for spec in kind.events.values()
          if code_key(spec) is not None]


def event_id(spec: EventSpec) -> str:
    return f"{spec.device_type}.{spec.event}"


def examples(spec: EventSpec) -> dict[str, object]:
    return {each.name: each.example for each in spec.fields}


def judge(*payloads: bytes, now: float | None = NOW) -> list[ScaipVerdict]:
    items = [Item(f"m{index}", payload) for index, payload in enumerate(payloads)]
    return judge_scaip(items, tenant="lier", now_epoch_s=now)


def mrq(*elements: str) -> bytes:
    return ("<mrq>" + "".join(elements) + "</mrq>").encode()


def request(payload: bytes) -> ScaipRequest:
    result = read_mrq(payload)
    assert isinstance(result, ScaipRequest), result
    return result


def contract_message(payload: bytes, seq: int = 0) -> dict[str, Any]:
    translation = translate(request(payload), "lier", NOW, seq)
    assert translation.payload is not None, translation.faults
    verdict = decode_message(translation.topic, translation.payload, now_epoch_s=NOW)
    assert isinstance(verdict, Accepted), verdict
    document: dict[str, Any] = orjson.loads(translation.payload)
    return document


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", MAPPED, ids=event_id)
def test_every_mapped_event_round_trips(spec: EventSpec) -> None:
    values = examples(spec)
    payload = mrq_document(spec, values, ref="R1", cid="4711", did="2")
    document = contract_message(payload, seq=7)
    assert (document["device_type"], document["event"]) == (spec.device_type, spec.event)
    assert (document["message_id"], document["device_id"], document["seq"]) == ("R1", "4711-2", 7)
    assert {name: document[name] for name in values} == values
    (verdict,) = judge(payload)
    assert (verdict.verdict, verdict.snu, verdict.event) == ("accepted", 0, event_id(spec))


def test_every_catalog_event_is_mapped_or_says_why_not() -> None:
    reached = {event_id(spec) for specs in MAPPING.values() for spec in specs}
    unmapped = {event_id(spec) for spec in UNMAPPED}
    everything = {event_id(spec) for kind in DEVICE_TYPES.values() for spec in kind.events.values()}
    assert reached | unmapped == everything and not reached & unmapped
    assert unmapped == {"gps_tracker.position", "medicine_dispenser.empty"}
    assert all(spec.scaip.note for spec in UNMAPPED)


def test_a_negative_position_goes_in_ite_because_geo_has_no_sign() -> None:
    spec = DEVICE_TYPES["gps_tracker"].events["sos"]
    values = {"lat": -33.9, "lon": 18.4, "accuracy_m": 5.0}
    payload = mrq_document(spec, values, ref="R2", cid="12")
    assert b"<lge>" not in payload and b"lat=-33.9" in payload
    document = contract_message(payload)
    assert (document["lat"], document["lon"]) == (-33.9, 18.4)


# --- examples from the public code tables, written by hand -----------------------------------


def test_a_fall_detector_alarm_is_a_fall_of_the_safety_alarm_and_certain() -> None:
    document = contract_message(mrq("<ref>7F3A0001</ref>", "<mty>ME</mty>", "<cid>4711</cid>",
                                    "<dty>0005</dty>", "<did>2</did>", "<stc>0009</stc>",
                                    "<lco>011</lco>", "<lte>bad</lte>"))
    assert document | {"ts": "-"} == {
        "schema_version": "1.0", "message_id": "7F3A0001", "device_id": "4711-2",
        "device_type": "safety_alarm", "event": "fall_detected", "ts": "-", "seq": 0,
        "confidence": 1.0}
    assert document["ts"] == "2026-01-05T08:00:00.000Z"


def test_a_pendant_press_without_did_is_the_controller_and_a_need_for_help() -> None:
    document = contract_message(mrq("<ref>1</ref>", "<cid>4711</cid>", "<dty>3</dty>",
                                    "<stc>10</stc>"))
    assert (document["device_id"], document["event"]) == ("4711", "button_need")


def test_ite_chooses_among_events_that_share_codes() -> None:
    fall = mrq("<ref>1</ref>", "<cid>9</cid>", "<dty>0005</dty>", "<stc>0009</stc>",
               "<ite>event=fall;confidence=0.6</ite>")
    document = contract_message(fall)
    assert (document["device_type"], document["event"], document["confidence"]) == (
        "night_supervision", "fall", 0.6)


def test_a_heartbeat_is_mty_pi_and_needs_its_battery_level_in_ite() -> None:
    beat = mrq("<ref>2</ref>", "<mty>PI</mty>", "<cid>9</cid>", "<dty>0002</dty>",
               "<ite>battery_pct=87</ite>")
    assert contract_message(beat)["event"] == "heartbeat"
    (verdict,) = judge(mrq("<ref>3</ref>", "<mty>PI</mty>", "<cid>9</cid>", "<dty>0002</dty>"))
    assert (verdict.verdict, verdict.snu) == ("schema", 3)
    (missing,) = verdict.faults
    assert (missing.element, missing.path, missing.contract_reason) == (
        "ite battery_pct=", "battery_pct", "schema")
    assert "add battery_pct=<value> to <ite>" in missing.expected


def test_a_geofence_exit_takes_its_position_from_lge() -> None:
    document = contract_message(mrq(
        "<ref>4</ref>", "<cid>55</cid>", "<dty>0051</dty>", "<stc>0009</stc>",
        "<lco>019</lco>", "<lge><geo>59.7801,10.2412</geo></lge>",
        "<ite>accuracy_m=8.5;geofence_id=home-zone</ite>"))
    assert (document["event"], document["lat"], document["lon"], document["geofence_id"]) == (
        "geofence_exit", 59.7801, 10.2412, "home-zone")


def test_free_text_in_ite_is_not_carried() -> None:
    document = contract_message(mrq("<ref>5</ref>", "<cid>1</cid>", "<dty>0043</dty>",
                                    "<stc>0052</stc>", "<ite>motor stuck; call me</ite>"))
    assert document["event"] == "jammed" and "motor" not in orjson.dumps(document).decode()


def test_a_value_of_the_wrong_type_in_ite_is_named_in_both_vocabularies() -> None:
    (verdict,) = judge(mrq("<ref>6</ref>", "<cid>1</cid>", "<dty>0002</dty>", "<stc>0016</stc>",
                           "<ite>battery_pct=low</ite>"))
    assert verdict.verdict == "schema"
    assert [(f.element, f.path, f.got) for f in verdict.faults] == [
        ("ite battery_pct=", "battery_pct", '"low"')]


def test_a_repeated_ite_field_is_refused_with_both_values() -> None:
    (verdict,) = judge(mrq("<ref>8</ref>", "<cid>1</cid>", "<dty>0002</dty>", "<stc>0016</stc>",
                           "<ite>battery_pct=12;battery_pct=13</ite>"))
    assert verdict.verdict == "bad_element"
    (repeated,) = verdict.faults
    assert (repeated.element, repeated.path, repeated.contract_reason) == (
        "ite", "battery_pct", "schema")
    assert repeated.expected == "battery_pct= at most once in <ite>"
    assert repeated.got == '"battery_pct=12;battery_pct=13"'  # JSON-quoted, as every got


@pytest.mark.parametrize(("given", "stored"), [("12", 12), ("12.0", 12), ("1.2e1", 12)])
def test_an_ite_integer_follows_the_json_integer_rule(given: str, stored: int) -> None:
    document = contract_message(mrq("<ref>9</ref>", "<cid>1</cid>", "<dty>0002</dty>",
                                    "<stc>0016</stc>", f"<ite>battery_pct={given}</ite>"))
    assert document["battery_pct"] == stored
    json_payload = orjson.dumps({**document, "battery_pct": float(given)})
    assert isinstance(decode_message(
        f"vt/v1/lier/{document['device_type']}/{document['device_id']}/events",
        json_payload, now_epoch_s=NOW), Accepted)


def test_an_ite_integer_with_a_fraction_is_refused_as_json_refuses_it() -> None:
    (verdict,) = judge(mrq("<ref>10</ref>", "<cid>1</cid>", "<dty>0002</dty>",
                           "<stc>0016</stc>", "<ite>battery_pct=12.5</ite>"))
    assert verdict.verdict == "schema"
    assert [(f.path, f.got) for f in verdict.faults] == [("battery_pct", "12.5")]


def test_a_conflicting_position_is_refused() -> None:
    (verdict,) = judge(mrq("<ref>7</ref>", "<cid>1</cid>", "<dty>0051</dty>", "<stc>0010</stc>",
                           "<lge><geo>59.1,10.2</geo></lge>", "<ite>lat=60;accuracy_m=3</ite>"))
    assert (verdict.verdict, verdict.faults[0].element, verdict.faults[0].path) == (
        "bad_element", "ite", "lat")


# --- hostile XML ------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<mrq><ref>1</ref><cid>1</cid><dty>0003</dty><stc>0010</stc><ite>&lol3;</ite></mrq>"""
EXTERNAL = b"""<?xml version="1.0"?><!DOCTYPE mrq [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<mrq><ref>1</ref><cid>1</cid><dty>0003</dty><stc>0010</stc><ite>&x;</ite></mrq>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?><!DOCTYPE mrq SYSTEM "http://127.0.0.1:9/scaip.dtd">
<mrq><ref>1</ref><cid>1</cid><dty>0003</dty><stc>0010</stc></mrq>"""
PLAIN = mrq("<ref>1</ref>", "<cid>1</cid>", "<dty>0003</dty>", "<stc>0010</stc>")


@pytest.mark.parametrize(
    ("payload", "reason", "snu"),
    [
        (BILLION_LAUGHS, "forbidden_xml", 2),
        (EXTERNAL, "forbidden_xml", 2),
        (EXTERNAL_DTD, "forbidden_xml", 2),
        (PLAIN[:-6] + b"<ite>" + b"x" * 17_000 + b"</ite></mrq>", "oversize", 1),
        (b'<?xml version="1.0" encoding="ISO-8859-1"?>' + PLAIN, "invalid_encoding", 2),
        (PLAIN.replace(b"<stc>", b"<stt>bl\xe5</stt><stc>"), "invalid_encoding", 2),
        ("\ufeff".encode("utf-16") + PLAIN.decode().encode("utf-16-le"), "invalid_encoding", 2),
        (b"{\"event\": \"sos\"}", "not_xml", 2),
        (b"<mrq><ref>1</ref>", "not_xml", 2),
        (b"<mrs><ref>1</ref><snu>0</snu></mrs>", "not_mrq", 2),
        (b"<mrq>" + b"<x/>" * 100 + b"</mrq>", "not_mrq", 2),
        (PLAIN.replace(b"</mrq>", b"<script>1</script></mrq>"), "unknown_element", 2),
        (PLAIN.replace(b"</mrq>", b"<stc>0016</stc></mrq>"), "repeated_element", 2),
        (PLAIN.replace(b"<ref>1</ref>", b""), "missing_element", 7),
        (PLAIN.replace(b"<ref>1</ref>", b"<ref>a-b</ref>"), "bad_element", 3),
        (PLAIN.replace(b"<cid>1</cid>", b"<cid><b>1</b></cid>"), "bad_element", 3),
    ],
    ids=["billion-laughs", "external-entity", "external-dtd", "oversize", "declared-latin1",
         "latin1-bytes", "utf16", "json", "truncated", "mrs", "too-many-elements",
         "unknown-element", "repeated", "no-ref", "bad-ref", "nested"],
)
def test_hostile_or_broken_xml_gets_a_verdict_not_an_exception(payload: bytes, reason: str,
                                                               snu: int) -> None:
    (verdict,) = judge(payload)
    assert (verdict.verdict, verdict.snu) == (reason, snu)
    assert verdict.faults and all(len(f.got) <= 80 for f in verdict.faults)


def test_too_many_elements_are_counted_and_descriptions_are_not_quoted() -> None:
    (many,) = judge(b"<mrq>" + b"<x/>" * 100 + b"</mrq>")
    assert (many.faults[0].expected, many.faults[0].got) == ("at most 64 elements",
                                                             "101 elements")
    (twice,) = judge(PLAIN.replace(b"</mrq>", b"<stc>0016</stc></mrq>"))
    assert twice.faults[0].got == "twice"
    (unknown,) = judge(PLAIN.replace(b"</mrq>", b"<script>1</script></mrq>"))
    assert unknown.faults[0].got == '"<script>"'  # text of the message: JSON-quoted


def test_every_fault_of_a_request_is_reported() -> None:
    (verdict,) = judge(mrq("<cid>x</cid>", "<foo/>"))
    assert [(f.reason, f.element, f.path) for f in verdict.faults] == [
        ("bad_element", "cid", "device_id"), ("unknown_element", "foo", ""),
        ("missing_element", "ref", "message_id"), ("missing_element", "dty", "device_type")]


def test_a_namespaced_mrq_is_read() -> None:
    payload = PLAIN.replace(b"<mrq>", b'<mrq xmlns="urn:example:scaip">')
    assert contract_message(payload)["event"] == "button_need"


# --- unknown and unmapped codes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("elements", "fault"),
    [
        (("<dty>9999</dty>", "<stc>0010</stc>"),
         ("unknown_code", "dty", "unknown_device_type", "device_type", '"9999"')),
        (("<dty>0002</dty>", "<stc>0999</stc>"),
         ("unknown_code", "stc", "unknown_event", "event", '"0999"')),
        (("<dty>0023</dty>", "<stc>0009</stc>"),
         ("unmapped_code", "dty", "unknown_device_type", "device_type",
          '"0023 (smoke detector)"')),
        (("<dty>0003</dty>", "<stc>0023</stc>"),
         ("unmapped_code", "stc", "unknown_event", "event", '"0023 (IP connection failure)"')),
        (("<dty>0003</dty>", "<mty>RE</mty>"),
         ("unmapped_code", "mty", "unknown_event", "event", '"RE"')),
        (("<dty>0051</dty>", "<mty>PI</mty>"),
         ("unmapped_code", "dty", "unknown_event", "event", '"0051 (tracking device)"')),
        (("<dty>0003</dty>",),
         ("missing_element", "stc", "unknown_event", "event", "nothing")),
        (("<dty>0003</dty>", "<stc>0010</stc>", "<ite>event=fall</ite>"),
         ("unmapped_code", "ite", "unknown_event", "event", '"event=fall"')),
    ],
    ids=["unknown-dty", "unknown-stc", "unmapped-dty", "unmapped-stc", "reset",
         "heartbeat-of-tracker", "no-stc", "event-not-of-these-codes"],
)
def test_codes_without_an_event_get_a_precise_verdict(elements: tuple[str, ...],
                                                      fault: tuple[str, ...]) -> None:
    (verdict,) = judge(mrq("<ref>1</ref>", "<cid>1</cid>", *elements))
    (first,) = verdict.faults
    assert (first.reason, first.element, first.contract_reason, first.path, first.got) == fault
    assert verdict.snu == 3 if first.reason != "missing_element" else verdict.snu == 7


def test_an_unmapped_status_lists_the_mapped_ones() -> None:
    (verdict,) = judge(mrq("<ref>1</ref>", "<cid>1</cid>", "<dty>0043</dty>", "<stc>0076</stc>"))
    assert "0016, 0052, 0118, 0127" in verdict.faults[0].expected


# --- resends and reused references -------------------------------------------------------------


def test_a_resend_is_a_duplicate_and_a_reused_ref_with_other_content_an_id_conflict() -> None:
    battery = mrq("<ref>9</ref>", "<cid>1</cid>", "<dty>0002</dty>", "<stc>0016</stc>",
                  "<ite>battery_pct=12</ite>")
    other = battery.replace(b"=12", b"=9")
    verdicts = judge(PLAIN, battery, battery, other)
    assert [(v.verdict, v.snu) for v in verdicts] == [
        ("accepted", 0), ("accepted", 0), ("duplicate", 0), ("id_conflict", 0)]
    assert verdicts[2].faults[0].element == "ref"


def test_the_resend_memory_forgets_after_its_window_and_when_full() -> None:
    memory = ScaipMemory(window_s=600.0, size=2)
    first, second, third = (request(PLAIN.replace(b"<ref>1", f"<ref>{n}".encode()))
                            for n in (1, 2, 3))
    assert memory.stamp("t", first, 0.0, 0) == (0.0, 0)
    assert memory.stamp("t", first, 599.0, 5) == (0.0, 0)  # a resend: first ts and seq
    assert memory.stamp("t", first, 601.0, 6) == (601.0, 6)  # too late: a new message
    memory.stamp("t", second, 602.0, 7)
    memory.stamp("t", third, 603.0, 8)
    assert memory.stamp("t", first, 604.0, 9) == (604.0, 9)  # forgotten: the memory was full
    assert memory.stamp("other", second, 605.0, 1) == (605.0, 1)  # tenants apart


def test_the_topic_controller_must_be_the_cid() -> None:
    translation = translate(request(PLAIN), "lier", NOW, 0, "vt/v1/lier/scaip/2")
    assert [(f.reason, f.element, f.contract_reason) for f in translation.faults] == [
        ("topic_mismatch", "cid", "topic_mismatch")]
    bad = translate(request(PLAIN), "lier", NOW, 0, "vt/v1/bærum/scaip/1")
    assert bad.faults[0].reason == "bad_topic"


# --- the answer ---------------------------------------------------------------------------------


def test_the_mrs_is_xml_with_the_reference_status_and_a_bounded_text() -> None:
    root = fromstring(mrs_document("7F3A0001", 3, "schema <&> " + "x" * 300))
    assert [child.tag for child in root] == ["ref", "snu", "ste"]
    assert root.findtext("ref") == "7F3A0001" and root.findtext("snu") == "3"
    assert len(root.findtext("ste") or "") == 128
    assert fromstring(mrs_document("not-a-ref!", 2, "x")).findtext("ref") == "0"


def test_the_reply_carries_the_mrs_and_the_contract_verdict() -> None:
    reply = orjson.loads(scaip_reply("A1", "duplicate", topic="vt/v1/t/safety_alarm/1/events",
                                     place=None))
    assert (reply["snu"], reply["verdict"], reply["topic"]) == (
        0, "duplicate", "vt/v1/t/safety_alarm/1/events")
    assert "place" not in reply and "<snu>0</snu>" in reply["mrs"]


# --- vtsim validate --scaip -----------------------------------------------------------------------

runner = CliRunner()


def test_validate_json_names_the_reason_in_the_same_fields_for_json_and_scaip(
        tmp_path: Path) -> None:
    scaip, plain = tmp_path / "battery.xml", tmp_path / "battery.json"
    scaip.write_bytes(mrq("<ref>7F3A0002</ref>", "<cid>4711</cid>", "<dty>0002</dty>",
                          "<stc>0016</stc>"))
    body = {"schema_version": "1.0", "message_id": "7F3A0002", "device_id": "4711",
            "device_type": "safety_alarm", "event": "battery_low", "ts": "2026-01-05T08:00:00Z",
            "seq": 0}
    plain.write_text(json.dumps(body), encoding="utf-8")
    found = []
    for args in (["--scaip", str(scaip), "--tenant", "lier"], [str(plain)]):
        result = runner.invoke(app, ["validate", *args, "--json", "--no-clock"])
        (verdict,) = json.loads(result.stdout)["verdicts"]
        found.append({key: verdict[key] for key in ("reason", "path", "got")})
    assert found[0] == found[1] == {"reason": "schema", "path": "battery_pct",
                                    "got": "nothing (field missing)"}


def test_validate_scaip_judges_each_file_and_exits_1_on_a_fault(tmp_path: Path) -> None:
    good, bad = tmp_path / "fall.xml", tmp_path / "laughs.xml"
    good.write_bytes(mrq("<ref>1</ref>", "<cid>1</cid>", "<dty>0005</dty>", "<stc>0009</stc>"))
    bad.write_bytes(BILLION_LAUGHS)
    result = runner.invoke(app, ["validate", "--scaip", str(good), "--json", "--no-clock"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdicts"][0]["event"] == "safety_alarm.fall_detected"
    result = runner.invoke(app, ["validate", "--scaip", str(good), str(bad), "--json"])
    document = json.loads(result.stdout)
    assert result.exit_code == 1
    assert document["summary"] == {"items": 2, "accepted": 1, "rejected": 1}
    assert document["verdicts"][1]["faults"][0]["scaip_reason"] == "forbidden_xml"
    table = runner.invoke(app, ["validate", "--scaip", str(bad)], env={"COLUMNS": "250"})
    assert "forbidden_xml" in table.stdout and "1 SCAIP message(s)" in table.stdout


def test_validate_scaip_refuses_a_topic(tmp_path: Path) -> None:
    path = tmp_path / "m.xml"
    path.write_bytes(PLAIN)
    result = runner.invoke(app, ["validate", "--scaip", str(path), "--topic", "vt/v1/x"])
    assert result.exit_code == 2


def test_the_vendor_docs_list_exactly_the_mapping() -> None:
    text = (ROOT / "docs" / "vendors.md").read_text(encoding="utf-8")
    section = text.split("\n## SCAIP\n", 1)[1]
    rows = re.findall(r"^\| `(\d{4})` \([^)]*\) \| (?:`mty` (PI)|`(\d{4})` \([^)]*\)) \| (.*) \|$",
                      section, flags=re.MULTILINE)
    documented = {(dty, pi or stc): tuple(re.findall(r"`([a-z_]+\.[a-z_]+)`", events))
                  for dty, pi, stc, events in rows}
    assert documented == {key: tuple(event_id(spec) for spec in specs)
                          for key, specs in MAPPING.items()}


ELEMENT_NAMES = ["ref", "cid", "did", "dty", "stc", "mty", "ite", "lco", "lge", "geo", "x"]


@st.composite
def xmlish(draw: st.DrawFn) -> bytes:
    """An mrq-like document of random elements and texts (often broken)."""
    parts = draw(st.lists(st.tuples(st.sampled_from(ELEMENT_NAMES),
                                    st.text(max_size=20)), max_size=12))
    body = "".join(f"<{name}>{text}</{name}>" for name, text in parts)
    return f"<mrq>{body}</mrq>".encode("utf-8", "surrogatepass")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), xmlish()))
def test_any_payload_gets_a_verdict_and_never_an_exception(payload: bytes) -> None:
    (verdict,) = judge(payload)
    assert verdict.verdict == "accepted" or verdict.faults
    assert verdict.snu in (0, 1, 2, 3, 6, 7)


def test_the_reserved_tenant_centre_is_a_bad_scaip_topic() -> None:
    translation = translate(request(PLAIN), "centre", NOW, 0, topic="vt/v1/centre/scaip/1")
    assert [f.reason for f in translation.faults] == ["bad_topic"]
    assert translate(request(PLAIN), "lier", NOW, 0, topic="vt/v1/lier/scaip/1").faults == ()
