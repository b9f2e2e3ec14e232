"""``vtsim schema`` and ``vtsim validate``: outputs, verdicts and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from devices.contract.catalog import DEVICE_TYPES
from devices.contract.contract_doc import render_contract_doc
from devices.contract.examples import example_message, example_status
from devices.contract.schema import asyncapi_document, message_json_schema
from vtsim.cli.main import app

runner = CliRunner()
ALL_EXAMPLES = [example_message(s) for k in DEVICE_TYPES.values() for s in k.events.values()]
BATTERY = example_message(DEVICE_TYPES["safety_alarm"].events["battery_low"])
CLOCK = "2026-01-05T08:14:00Z"


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


def verdicts(*args: str) -> tuple[int, dict[str, Any]]:
    """Exit code and the JSON verdicts of ``vtsim validate ARGS --json``."""
    result = invoke("validate", *args, "--json")
    return result.exit_code, json.loads(result.stdout)


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


# --- schema ---------------------------------------------------------------------------------


def test_schema_prints_the_json_schema_by_default() -> None:
    result = invoke("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads(json.dumps(message_json_schema()))
    assert result.stdout.startswith('{\n  "$schema"')


def test_schema_prints_asyncapi_and_markdown() -> None:
    asyncapi = invoke("schema", "--format", "asyncapi")
    assert json.loads(asyncapi.stdout) == json.loads(json.dumps(asyncapi_document()))
    markdown = invoke("schema", "--format", "markdown")
    assert markdown.stdout == render_contract_doc()


def test_schema_output_is_stable_and_written_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "contract.json"
    result = invoke("schema", "--format", "asyncapi", "--output", str(target))
    assert result.exit_code == 0
    assert target.read_text(encoding="utf-8") == invoke("schema", "--format", "asyncapi").stdout


def test_schema_refuses_an_unknown_format() -> None:
    assert invoke("schema", "--format", "yaml").exit_code == 2


# --- validate -------------------------------------------------------------------------------


def test_all_catalog_examples_in_one_array_are_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "all.json", json.dumps(ALL_EXAMPLES))
    code, document = verdicts(path, "--now", CLOCK)
    assert code == 0
    assert document["summary"] == {"items": 26, "accepted": 26, "rejected": 0}
    assert document["verdicts"][0]["item"] == "all.json[0]"
    assert document["verdicts"][0]["topic"] == "vt/v1/demo/safety_alarm/sa-0001/events"


def test_one_bad_message_makes_exit_code_1_and_names_the_field(tmp_path: Path) -> None:
    bad = BATTERY | {"battery_pct": "low", "message_id": "other"}
    path = write(tmp_path, "two.json", json.dumps([BATTERY, bad]))
    code, document = verdicts(path, "--no-clock")
    assert code == 1
    rejected = document["verdicts"][1]
    assert (rejected["verdict"], rejected["reason"], rejected["path"]) == (
        "rejected",
        "schema",
        "battery_pct",
    )
    assert rejected["got"] == '"low"'


def test_json_lines_with_a_broken_line_judge_each_line(tmp_path: Path) -> None:
    lines = [json.dumps(BATTERY), "{broken", json.dumps(BATTERY | {"message_id": "m-2"})]
    path = write(tmp_path, "msgs.jsonl", "\n".join(lines) + "\n")
    code, document = verdicts(path, "--no-clock")
    assert code == 1
    assert [v["item"] for v in document["verdicts"]] == [
        "msgs.jsonl:1",
        "msgs.jsonl:2",
        "msgs.jsonl:3",
    ]
    assert [v["reason"] for v in document["verdicts"]] == ["", "not_json", ""]


def test_a_repeated_message_id_is_a_duplicate(tmp_path: Path) -> None:
    path = write(tmp_path, "dup.json", json.dumps([BATTERY, BATTERY]))
    code, document = verdicts(path, "--no-clock")
    assert code == 1
    second = document["verdicts"][1]
    assert (second["reason"], second["path"]) == ("duplicate", "message_id")
    assert "dup.json[0]" in second["expected"]


def test_a_reused_id_with_other_content_is_an_id_conflict_and_its_copy_a_duplicate(
    tmp_path: Path,
) -> None:
    fall = {**BATTERY, "event": "fall_detected", "seq": BATTERY["seq"] + 1, "confidence": 0.9}
    del fall["battery_pct"]
    path = write(tmp_path, "ids.jsonl", "\n".join(json.dumps(m) for m in (BATTERY, fall, fall,
                                                                          BATTERY)))
    code, document = verdicts(path, "--no-clock")
    assert code == 1
    assert [v["reason"] for v in document["verdicts"]] == [
        "", "id_conflict", "duplicate", "duplicate"]
    conflict = document["verdicts"][1]
    assert conflict["path"] == "message_id" and "ids.jsonl:1" in conflict["expected"]
    assert "handles this message" in conflict["expected"]


def test_duplicates_are_found_across_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.json", json.dumps(BATTERY))
    second = write(tmp_path, "b.json", json.dumps(BATTERY))
    code, document = verdicts(first, second, "--no-clock")
    assert code == 1
    assert [v["reason"] for v in document["verdicts"]] == ["", "duplicate"]


def test_binary_file_is_judged_not_crashed_on(tmp_path: Path) -> None:
    path = write(tmp_path, "blob.bin", b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    code, document = verdicts(path)
    assert code == 1
    assert document["verdicts"][0]["reason"] == "invalid_utf8"


def test_the_receiver_clock_can_be_set_or_switched_off(tmp_path: Path) -> None:
    path = write(tmp_path, "one.json", json.dumps(BATTERY))
    code, document = verdicts(path, "--now", "2026-02-01T00:00:00Z")
    assert code == 1 and document["verdicts"][0]["reason"] == "ts_in_past"
    code, document = verdicts(path, "--now", "2025-12-01T00:00:00+01:00")
    assert code == 1 and document["verdicts"][0]["reason"] == "ts_in_future"
    assert verdicts(path, "--no-clock")[0] == 0


def test_topic_and_tenant_options(tmp_path: Path) -> None:
    path = write(tmp_path, "one.json", json.dumps(BATTERY))
    code, document = verdicts(path, "--no-clock", "--tenant", "lier")
    assert code == 0
    assert document["verdicts"][0]["topic"] == "vt/v1/lier/safety_alarm/sa-0001/events"
    code, document = verdicts(
        path, "--no-clock", "--topic", "vt/v1/lier/safety_alarm/sa-0009/events"
    )
    assert code == 1
    assert (document["verdicts"][0]["reason"], document["verdicts"][0]["path"]) == (
        "topic_mismatch",
        "device_id",
    )


def test_status_messages_are_judged_as_status(tmp_path: Path) -> None:
    online = example_status("e_lock", "online")
    path = write(tmp_path, "status.json", json.dumps([online, online | {"status": "asleep"}]))
    code, document = verdicts(path, "--no-clock")
    assert code == 1
    assert document["verdicts"][0]["topic"] == "vt/v1/demo/e_lock/lock-0001/status"
    assert [v["reason"] for v in document["verdicts"]] == ["", "schema"]


@pytest.mark.parametrize(
    "args",
    [
        ("missing.json",),
        ("{file}", "--now", "yesterday"),
        ("{file}", "--now", "2026-01-05T08:00:00"),
        ("{file}", "--now", CLOCK, "--no-clock"),
        ("{file}", "--tenant", "bad tenant"),
    ],
)
def test_unusable_arguments_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    path = write(tmp_path, "one.json", json.dumps(BATTERY))
    result = invoke("validate", *(arg.replace("{file}", path) for arg in args))
    assert result.exit_code == 2, result.output


def test_table_shows_each_verdict_and_a_summary(tmp_path: Path) -> None:
    path = write(tmp_path, "two.json", json.dumps([BATTERY, BATTERY | {"event": "smoke"}]))
    result = runner.invoke(app, ["validate", path, "--no-clock"], env={"COLUMNS": "250"})
    assert result.exit_code == 1
    for text in ("two.json[0]", "accepted", "two.json[1]", "rejected", "unknown_event", "event"):
        assert text in result.stdout
    assert "2 message(s): 1 accepted, 1 rejected." in result.stdout


def test_validate_reports_every_fault_of_a_message(tmp_path: Path) -> None:
    broken = BATTERY | {"battery_pct": "12", "seq": -1, "ts": "2026-01-05T08:13Z", "extra": 1}
    code, document = verdicts(write(tmp_path, "m.json", json.dumps(broken)), "--no-clock")
    assert code == 1
    (verdict,) = document["verdicts"]
    paths = {verdict["path"], *(fault["path"] for fault in verdict["more"])}
    assert paths == {"battery_pct", "seq", "ts", "extra"}
    assert all(fault["expected"] and fault["got"] for fault in verdict["more"])
    table = runner.invoke(app, ["validate", write(tmp_path, "m2.json", json.dumps(broken)),
                                "--no-clock"], env={"COLUMNS": "250"})
    assert all(path in table.stdout for path in ("battery_pct", "seq", "ts", "extra"))


def test_a_message_with_one_fault_has_no_more() -> None:
    from devices.contract.codec import Rejected, decode_message, encode_rejection
    from devices.contract.replies import RejectionNotice

    topic = "vt/v1/demo/safety_alarm/sa-0001/events"
    one = decode_message(topic, json.dumps(BATTERY | {"seq": -1}).encode())
    assert isinstance(one, Rejected) and one.more == ()
    assert "more" not in encode_rejection(one).decode()
    many = decode_message(topic, json.dumps(BATTERY | {"seq": -1, "battery_pct": 101}).encode())
    assert isinstance(many, Rejected) and len(many.faults) == 2
    notice = RejectionNotice.model_validate_json(encode_rejection(many))
    assert notice.more is not None and notice.more[0].path in {"seq", "battery_pct"}
    assert "(and 1 more)" in many.describe()
