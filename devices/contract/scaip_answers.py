"""The centre's answer to a SCAIP payload: the ``mrs`` and the contract verdict, and its schema.

One JSON document per payload, on ``vt/v1/{tenant}/centre/scaip/{controller}``: the SCAIP
message response ``mrs`` (the request's ``ref``, a status number ``snu`` and a status text) as
XML text, beside the contract verdict with every fault named in both vocabularies
(:class:`devices.contract.scaip.ScaipFault`). :func:`answer_schema` is its JSON Schema, as the
AsyncAPI document publishes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape

import orjson

from devices.contract.codec import Rejected
from devices.contract.scaip import (
    SCAIP_REASONS,
    SNU_BUSY,
    SNU_NAMES,
    SNU_OK,
    SNU_WRONG_CONTENT,
    ScaipFault,
    contract_faults,
)

__all__ = ["answer_schema", "mrs_document", "rejection_faults", "reply_snu", "scaip_reply"]


def mrs_document(ref: str | None, snu: int, text: str) -> str:
    """The SCAIP response ``mrs``: the request's reference, status number and text (<=128)."""
    reference = ref if ref is not None and re.fullmatch(r"[0-9a-zA-Z]{1,16}", ref) else "0"
    status_text = escape(" ".join(text.split())[:128])
    return (f'<?xml version="1.0" encoding="UTF-8"?><mrs><ref>{reference}</ref>'
            f"<snu>{snu}</snu><ste>{status_text}</ste></mrs>")


def scaip_reply(ref: str | None, verdict: str, faults: Iterable[ScaipFault] = (),
                **contract: object) -> bytes:
    """The centre's answer to a SCAIP payload: the ``mrs`` (as text) and the contract verdict.

    ``verdict`` is ``accepted`` or a reason (``duplicate`` and ``id_conflict`` are answered
    ``snu`` 0: the message was handled); ``contract`` adds the translated message's topic,
    device and message id, where it ended (``place``) and its incident.
    """
    faults = tuple(faults)
    snu = reply_snu(verdict, faults)
    first = faults[0] if faults else None
    text = verdict if first is None else (
        f"{verdict}: {first.element or first.path or 'payload'}: expected {first.expected}")
    document: dict[str, object] = {
        "mrs": mrs_document(ref, snu, text), "ref": ref, "snu": snu,
        "snu_text": SNU_NAMES[snu], "verdict": verdict,
        **{key: value for key, value in contract.items() if value is not None},
        "faults": [each.as_json() for each in faults],
    }
    return orjson.dumps(document)


def reply_snu(verdict: str, faults: tuple[ScaipFault, ...]) -> int:
    """The ``snu`` of a verdict: 0 for a message handled, else that of its first fault."""
    if verdict in ("accepted", "duplicate", "id_conflict"):
        return SNU_OK
    if verdict == "rate_limited":
        return SNU_BUSY
    return faults[0].snu if faults else SNU_WRONG_CONTENT


def rejection_faults(rejected: Rejected | None, reason: str) -> tuple[ScaipFault, ...]:
    """The faults of the centre's answer to a translated message (none when accepted)."""
    if rejected is None:
        return ()
    if reason == "rate_limited":
        return (ScaipFault("rate_limited", "", reason, "", rejected.expected, rejected.got),)
    if reason in ("duplicate", "id_conflict"):
        return (ScaipFault("contract", "ref", reason, rejected.path, rejected.expected,
                           rejected.got),)
    return contract_faults(rejected)


def fault_schema() -> dict[str, Any]:
    """JSON Schema of one fault in an answer (:meth:`ScaipFault.as_json`)."""
    text = {"type": "string"}
    return {
        "type": "object",
        "properties": {
            "scaip_reason": {"type": "string", "enum": list(SCAIP_REASONS),
                             "description": "Why, in SCAIP terms ('contract': the translated "
                             "message broke the contract)."},
            "scaip_element": {**text, "description": "The mrq element ('' for the payload "
                              "as a whole), e.g. 'stc' or 'ite battery_pct='."},
            "contract_reason": {**text, "description": "The contract's reason code, where "
                                "the fault has one."},
            "path": {**text, "description": "The contract's field path, where it has one."},
            "expected": text,
            "got": {**text, "maxLength": 80},
        },
        "required": ["scaip_reason", "scaip_element", "contract_reason", "path", "expected",
                     "got"],
        "additionalProperties": False,
    }


def answer_schema() -> dict[str, Any]:
    """JSON Schema of the centre's answer to a SCAIP payload (:func:`scaip_reply`)."""
    text = {"type": "string"}
    return {
        "type": "object",
        "properties": {
            "mrs": {**text, "description": "The SCAIP message response, an XML document: "
                    "<mrs> with <ref>, <snu> and <ste> (at most 128 characters)."},
            "ref": {"type": ["string", "null"], "description": "The request's reference; "
                    "null when the payload could not be read."},
            "snu": {"type": "integer", "enum": sorted(SNU_NAMES),
                    "description": "SCAIP status number: 0 ok (also duplicate and "
                    "id_conflict), 1 too long, 2 invalid format, 3 wrong data content, 5 not "
                    "treated (a fault of the centre), 6 busy, 7 mandatory tag missing."},
            "snu_text": {"type": "string", "enum": [SNU_NAMES[n] for n in sorted(SNU_NAMES)]},
            "verdict": {**text, "description": "'accepted', or the first fault's reason."},
            "topic": {**text, "description": "The translated message's events topic (or the "
                      "SCAIP topic, when it could not be translated)."},
            "device_id": text,
            "message_id": text,
            "place": {"type": "string", "enum": ["incident", "correlated", "duplicate",
                                                 "rejected", "info"],
                      "description": "Where the translated message ended."},
            "incident_id": {**text, "description": "The incident it opened or joined."},
            "faults": {"type": "array", "items": fault_schema()},
        },
        "required": ["mrs", "ref", "snu", "snu_text", "verdict", "faults"],
        "additionalProperties": False,
    }


