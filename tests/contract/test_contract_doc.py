"""docs/message-contract.md is generated, current, and its examples are real verdicts."""

from __future__ import annotations

import json

from devices.contract.catalog import DEVICE_TYPES
from devices.contract.contract_doc import broken_examples, judge_example, render_contract_doc
from devices.contract.examples import example_message
from devices.contract.replies import REJECTION_REASONS
from tests.conftest import ROOT


def test_message_contract_reference_is_current() -> None:
    current = (ROOT / "docs" / "message-contract.md").read_text(encoding="utf-8")
    assert current == render_contract_doc(), (
        "docs/message-contract.md is stale: run "
        "`python -m devices.contract.contract_doc > docs/message-contract.md`"
    )


def test_every_reason_has_an_example_that_really_gets_that_reason() -> None:
    examples = broken_examples()
    assert [example.reason for example in examples] == list(REJECTION_REASONS)
    for example in examples:
        verdict = judge_example(example)
        assert not verdict.accepted
        assert verdict.reason == example.reason, example


def test_every_event_appears_with_its_meaning_and_example() -> None:
    text = render_contract_doc()
    for kind in DEVICE_TYPES.values():
        assert f"### `{kind.name}` ({kind.name_nb})" in text
        for spec in kind.events.values():
            assert spec.meaning in text and spec.meaning_nb in text
            assert json.dumps(example_message(spec), indent=2, ensure_ascii=False) in text


def test_doc_names_the_topics_status_will_and_qos() -> None:
    text = render_contract_doc()
    for phrase in ("/events", "/status", "centre/ack/", "centre/rejected/", "last will", "QoS 1"):
        assert phrase in text
