"""The device vendors' guide (docs/vendors.md): its commands, examples and limits are true."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from devices.contract.codec import DEFAULT_LIMITS, Accepted, Rejected, decode_message
from devices.contract.scaip import SNU_NAMES, ScaipRequest, read_mrq, translate
from devices.contract.scaip_answers import mrs_document
from tests.conftest import ROOT
from vtsim.cli.main import BY_NAME, app, loaded_command

DOCS = ROOT / "docs"
GUIDE = DOCS / "vendors.md"
NOW = 1_767_600_000.0  # 2026-01-05T08:00:00Z
runner = CliRunner()


def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def shell_lines(text: str) -> list[str]:
    """Lines of the ``sh`` blocks, continuations joined, comments and ``&`` removed."""
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                lines.append(line.removesuffix("&").strip())
    return lines


def vtsim_words(line: str) -> list[str] | None:
    """The words of a ``vtsim`` command line up to a pipe or redirection, or None."""
    words = shlex.split(line)
    if not words or words[0] not in ("vtsim", ".venv/bin/vtsim"):
        return None
    for index, word in enumerate(words):
        if word in ("|", ">", "&&"):
            return words[:index]
    return words


def test_every_vtsim_command_line_in_the_guide_parses() -> None:
    commands = [words for line in shell_lines(guide()) if (words := vtsim_words(line))]
    assert len(commands) >= 15
    for words in commands:
        name, args = words[1], words[2:]
        assert name in BY_NAME, words
        try:
            loaded_command(BY_NAME[name]).make_context(name, list(args))
        except Exception as exc:  # typer's own click: its usage errors, unknown options
            pytest.fail(f"{' '.join(words)}: {exc}")


def quick_start() -> str:
    text = guide()
    return text[text.index("## Ten minutes") : text.index("### Rules the schema")]


def test_the_quick_start_uses_one_broker_port_throughout() -> None:
    lines = shell_lines(quick_start())
    broker = next(line for line in lines if " broker " in line)
    port = re.search(r"--port (\d+)", broker)
    assert port is not None, broker
    for line in lines:
        if " centre " in line:
            assert f"mqtt://localhost:{port.group(1)}" in line, line
        if line.startswith("mosquitto_"):
            assert f"-p {port.group(1)} " in line, line


def test_the_quick_start_runs_the_centre_in_the_background_without_its_live_table() -> None:
    centre = next(line for line in shell_lines(quick_start()) if " centre " in line)
    assert "--no-live" in centre


def test_the_quick_start_topic_and_subscription_are_the_same_tenant_and_device() -> None:
    lines = shell_lines(quick_start())
    sub = next(line for line in lines if line.startswith("mosquitto_sub"))
    pub = next(line for line in lines if line.startswith("mosquitto_pub"))
    subscribed = re.search(r"'vt/v1/([^/]+)/centre/\+/([^']+)'", sub)
    published = re.search(r"-t vt/v1/([^/]+)/[^/]+/([^/]+)/events", pub)
    assert subscribed and published
    assert subscribed.groups() == published.groups()


def base_message(**fields: object) -> bytes:
    message: dict[str, object] = {
        "schema_version": "1.0", "message_id": "disp-0042-1", "device_id": "disp-0042",
        "device_type": "medicine_dispenser", "event": "refill_due",
        "ts": "2026-01-05T08:13:22Z", "seq": 1, "doses_left": 3,
    }
    message.update(fields)
    return json.dumps(message).encode()


TOPIC = "vt/v1/demo/medicine_dispenser/disp-0042/events"
ACCEPTED_TIMES = ("2026-01-05T08:13:22Z", "2026-01-05T09:13:22.125+01:00",
                  "2025-12-31T23:59:60Z")
REFUSED_TIMES = ("1767600802", "2026-01-05T08:13Z", "2026-01-05T08:13:22,125Z",
                 "2026-01-05T08:13:22+0100")
ACCEPTED_INTEGERS = ("87", "87.0", "1e1")
REFUSED_INTEGERS = ('"87"', "true")


def verdict_of(payload: bytes) -> Accepted | Rejected:
    verdict = decode_message(TOPIC, payload, now_epoch_s=None)
    assert isinstance(verdict, Accepted | Rejected)
    return verdict


def test_the_timestamp_examples_get_the_documented_verdicts() -> None:
    bullet = guide().split("**Timestamps and numbers", 1)[1].split("\n- **", 1)[0]
    for text in ("2026-01-05T08:13:22Z", "2026-01-05T09:13:22.125+01:00", "23:59:60",
                 "08:13", "22,125", "+0100", "Unix seconds"):
        assert text in bullet, text
    for ts in ACCEPTED_TIMES:
        assert isinstance(verdict_of(base_message(ts=ts)), Accepted), ts
    for ts in REFUSED_TIMES:
        refused = verdict_of(base_message(ts=ts if not ts.isdigit() else int(ts)))
        assert isinstance(refused, Rejected) and refused.path == "ts", ts


def test_the_integer_examples_get_the_documented_verdicts() -> None:
    bullet = guide().split("**Timestamps and numbers", 1)[1].split("\n- **", 1)[0]
    for text in (*ACCEPTED_INTEGERS, *REFUSED_INTEGERS):
        assert f"`{text}`" in bullet, text
    template = base_message(doses_left=0).decode()
    for number in ACCEPTED_INTEGERS:
        payload = template.replace('"doses_left": 0', f'"doses_left": {number}').encode()
        assert isinstance(verdict_of(payload), Accepted), number
    for value in REFUSED_INTEGERS:
        payload = template.replace('"doses_left": 0', f'"doses_left": {value}').encode()
        refused = verdict_of(payload)
        assert isinstance(refused, Rejected) and refused.path == "doses_left", value


def test_a_copy_with_the_same_instant_and_number_is_the_same_message_as_the_guide_says(
    tmp_path: Path,
) -> None:
    assert "`4.0`\n  repeats `4`" in guide() or "`4.0` repeats `4`" in guide()
    first = base_message(ts="2026-01-05T08:13:22Z", seq=4)
    again = base_message(ts="2026-01-05T09:13:22+01:00", seq=4.0)
    (tmp_path / "copies.jsonl").write_bytes(first + b"\n" + again + b"\n")
    result = runner.invoke(app, ["validate", str(tmp_path / "copies.jsonl"), "--json",
                                 "--no-clock"])
    verdicts = json.loads(result.stdout)["verdicts"]
    assert [v["reason"] for v in verdicts] == ["", "duplicate"]


def test_the_rules_table_states_the_decoders_limits() -> None:
    table = guide().split("### Rules the schema cannot express", 1)[1].split("\n## ", 1)[0]
    assert f"at most {DEFAULT_LIMITS.max_bytes:,} bytes" in table
    assert f"at most {DEFAULT_LIMITS.max_depth} levels" in table
    assert f"at most {DEFAULT_LIMITS.max_future_s:g} s ahead" in table
    assert f"{DEFAULT_LIMITS.max_past_s / 86_400:g} days behind" in table


def code_block_after(text: str, marker: str, language: str = "") -> str:
    after = text[text.index(marker) :]
    found = re.search(rf"```{language}\n(.*?)```", after, re.S)
    assert found is not None, marker
    return found.group(1)


def fall_request() -> tuple[bytes, ScaipRequest]:
    payload = code_block_after(guide(), "`fall.xml`, a fall detector", "xml").encode()
    request = read_mrq(payload)
    assert isinstance(request, ScaipRequest), request
    return payload, request


def test_the_fall_example_becomes_the_documented_contract_message() -> None:
    text = guide()
    becomes = re.search(r"becomes `(\{.*?\})` on `([^`]+)`", text, re.S)
    assert becomes is not None
    documented: dict[str, Any] = json.loads(becomes.group(1).replace("\n", " "))
    _, request = fall_request()
    translation = translate(request, "lier", NOW, 0)
    assert translation.payload is not None, translation.faults
    message = orjson.loads(translation.payload)
    assert documented.pop("ts") == "<receipt>"
    assert {k: v for k, v in message.items() if k != "ts"} == documented
    assert translation.topic == becomes.group(2)
    assert isinstance(decode_message(translation.topic, translation.payload,
                                     now_epoch_s=NOW), Accepted)


def test_the_fall_examples_answer_matches_its_translation() -> None:
    answer = json.loads(code_block_after(guide(), "is answered on `vt/v1/lier/centre/scaip/4711`",
                                         "json"))
    _, request = fall_request()
    translation = translate(request, "lier", NOW, 0)
    message = orjson.loads(translation.payload or b"{}")
    assert answer["mrs"] == mrs_document(request.ref, 0, "accepted")
    assert (answer["snu"], answer["snu_text"], answer["verdict"]) == (0, SNU_NAMES[0], "accepted")
    assert (answer["ref"], answer["message_id"]) == (request.ref, message["message_id"])
    assert (answer["topic"], answer["device_id"]) == (translation.topic, message["device_id"])
    assert answer["incident_id"].startswith(f"lier/{message['device_id']}/{request.ref}/"
                                            f"{message['event']}/0/")


def test_the_battery_example_is_what_validate_prints(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    text = guide()
    section = text[text.index("A battery-low alarm of the base unit") :]
    mrq = re.search(r"`(<mrq>.*?</mrq>)`", section)
    command = re.search(r"\(`(vtsim validate --scaip battery\.xml[^`]*)`", section)
    assert mrq is not None and command is not None
    documented = json.loads(code_block_after(section, "battery.xml", "json"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "battery.xml").write_text(mrq.group(1), encoding="utf-8")
    result = runner.invoke(app, shlex.split(command.group(1))[1:])
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["verdicts"] == [documented]


def device_patterns(acl: str) -> list[str]:
    return [line for line in acl.splitlines() if line.startswith("pattern ")
            and "/scaip/" not in line]


def test_the_vendor_and_deployment_acls_give_a_device_the_same_rights() -> None:
    vendors = code_block_after(guide(), "`/etc/mosquitto/vtsim.acl`:")
    deployment = code_block_after((DOCS / "deployment.md").read_text(encoding="utf-8"),
                                  "`/etc/mosquitto/vtsim.acl`:")
    assert device_patterns(vendors) == device_patterns(deployment)
    assert "pattern read vt/v1/+/centre/reply/%u" in device_patterns(vendors)


def test_the_vendor_broker_settings_queue_as_much_as_the_shipped_configuration() -> None:
    vendors = code_block_after(guide(), "`/etc/mosquitto/conf.d/vtsim.conf`:")
    shipped = (DOCS / "mosquitto" / "vtsim.conf").read_text(encoding="utf-8")
    queue = re.compile(r"^max_queued_messages \d+$", re.M)
    assert queue.findall(vendors) == queue.findall(shipped)


def test_links_in_the_guide_lead_to_files() -> None:
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", guide()):
        assert (DOCS / target).resolve().exists(), target
