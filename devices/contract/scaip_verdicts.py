"""Offline verdicts on SCAIP payloads, as a vendor gets them from ``vtsim validate --scaip``.

Each file is one ``mrq`` document. It is read and translated by :mod:`devices.contract.scaip`,
then the contract message is judged by the decoder the centre uses
(:func:`devices.contract.codec.decode_message`) and the centre's duplicate rule
(:class:`devices.contract.reception.MessageMemory`): exactly what the live centre's ``scaip``
channel does, without a broker. Every fault is named in both vocabularies.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from devices.contract.codec import DEFAULT_LIMITS, Accepted, Limits, decode_message, preview
from devices.contract.reception import DUPLICATE, ID_CONFLICT, NEW, MessageMemory
from devices.contract.scaip import (
    ScaipFault,
    ScaipMemory,
    contract_faults,
    read_mrq,
    translate,
)
from devices.contract.scaip_answers import reply_snu
from devices.contract.validate import Item

ACCEPTED = "accepted"


@dataclass(frozen=True, slots=True)
class ScaipVerdict:
    """The verdict on one SCAIP payload: ``verdict`` is ``accepted`` or the first reason
    (SCAIP-side, or the contract's for a translated message the contract refuses)."""

    item: str
    topic: str
    verdict: str
    snu: int
    event: str = ""
    faults: tuple[ScaipFault, ...] = ()

    @property
    def accepted(self) -> bool:
        """Whether the centre would handle it without a fault to fix."""
        return self.verdict == ACCEPTED

    def as_json(self) -> dict[str, Any]:
        """The verdict as a JSON-ready dict. ``reason``, ``path``, ``expected`` and ``got`` are
        the first fault's, in the fields a JSON message's verdict has them (empty when
        accepted); ``faults`` lists them all."""
        first = self.faults[0] if self.faults and not self.accepted else None
        return {"item": self.item, "topic": self.topic, "verdict": self.verdict,
                "reason": "" if first is None else self.verdict,
                "path": "" if first is None else first.path,
                "expected": "" if first is None else first.expected,
                "got": "" if first is None else first.got,
                "snu": self.snu, "event": self.event,
                "faults": [each.as_json() for each in self.faults]}


class ScaipJudge:
    """Judges SCAIP payloads one after the other, remembering ids and resends between them
    (offline every payload counts as received at the same moment)."""

    def __init__(self, tenant: str, now_epoch_s: float | None, limits: Limits = DEFAULT_LIMITS
                 ) -> None:
        """A judge for ``tenant``; ``now_epoch_s`` None skips the clock checks."""
        self.tenant = tenant
        self.now = now_epoch_s
        self.limits = limits
        self.stamp_at = time.time() if now_epoch_s is None else now_epoch_s
        self.resends = ScaipMemory()
        self.ids = MessageMemory()
        self.next_seq: dict[str, int] = {}

    def judge(self, item: Item) -> ScaipVerdict:
        """The verdict on one payload."""
        request = read_mrq(item.payload, self.limits)
        if isinstance(request, tuple):
            return refused(item.label, "", request)
        device = f"{request.get('cid')}/{request.get('did')}"
        ts, seq = self.resends.stamp(self.tenant, request, self.stamp_at,
                                     self.next_seq.get(device, 0))
        self.next_seq[device] = max(self.next_seq.get(device, 0), seq + 1)
        translation = translate(request, self.tenant, ts, seq)
        if translation.payload is None:
            return refused(item.label, translation.topic, translation.faults)
        assert translation.spec is not None
        event = f"{translation.spec.device_type}.{translation.spec.event}"
        verdict = decode_message(translation.topic, translation.payload, now_epoch_s=self.now,
                                 limits=self.limits)
        if not isinstance(verdict, Accepted):
            faults = contract_faults(verdict)
            return ScaipVerdict(item.label, translation.topic, verdict.reason,
                                reply_snu(verdict.reason, faults), event, faults)
        message = verdict.message
        repeat = self.ids.check_in(verdict.topic, message.message_id, message.event,
                                   message.seq, message.ts, 0.0)
        if repeat == NEW:
            return ScaipVerdict(item.label, verdict.topic, ACCEPTED, 0, event)
        expected = ("a request not sent before (a resend: same ref and content)"
                    if repeat == DUPLICATE else
                    "a ref this device has not used for another request (handled all the "
                    "same, answered id_conflict)")
        reason = DUPLICATE if repeat == DUPLICATE else ID_CONFLICT
        faults = (ScaipFault("contract", "ref", reason, "message_id", expected,
                             preview(message.message_id)),)
        return ScaipVerdict(item.label, verdict.topic, reason, 0, event, faults)


def refused(label: str, topic: str, faults: tuple[ScaipFault, ...]) -> ScaipVerdict:
    """The verdict on a payload that could not become a contract message."""
    return ScaipVerdict(label, topic, faults[0].reason, faults[0].snu, "", faults)


def judge_scaip(items: Iterable[Item], *, tenant: str, now_epoch_s: float | None,
                limits: Limits = DEFAULT_LIMITS) -> list[ScaipVerdict]:
    """Judge every SCAIP payload, in order."""
    judge = ScaipJudge(tenant, now_epoch_s, limits)
    return [judge.judge(item) for item in items]
