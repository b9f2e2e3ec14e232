"""The live centre's ``scaip`` channel: SCAIP alarm messages in, SCAIP responses out.

A SCAIP receiver or device publishes an ``mrq`` XML document on
``vt/v1/{tenant}/scaip/{controller}`` (``controller`` is the request's ``cid``). The channel
reads and translates it (:mod:`devices.contract.scaip`) and hands the contract message to
:meth:`vtsim.live.centre.LiveCentre.receive_event`: the same rules, store, incidents and
answers as a JSON message on the device's own ``events`` topic (its acknowledgement or
rejection also appears on the device's ``centre/ack`` or ``centre/rejected`` topic). The
SCAIP sender's answer is one JSON document on ``vt/v1/{tenant}/centre/scaip/{controller}``: the
``mrs`` (``ref``, ``snu``, ``ste``) and the contract verdict, every fault named in both
vocabularies. A payload that cannot be translated is stored as a rejection, counted and
answered there too; nothing the sender does makes the channel raise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from devices.contract.codec import DEFAULT_LIMITS, Limits, preview
from devices.contract.reception import RETAINED_EVENT, retained_rejection
from devices.contract.scaip import (
    SCAIP_CHANNEL,
    ScaipFault,
    ScaipMemory,
    device_id_of,
    read_mrq,
    scaip_reply_topic,
    scaip_topic_levels,
    translate,
)
from devices.contract.scaip_answers import rejection_faults, scaip_reply
from devices.contract.topics import LEVEL, PREFIX, require_tenant, valid_tenant
from vtsim.live.centre import Answer, LiveCentre
from vtsim.live.store import CentreStoreError

__all__ = ["ScaipChannel", "scaip_subscription"]

ACCEPTED: Final = "accepted"


def scaip_subscription(tenant: str | None) -> str:
    """Topic filter for the SCAIP payloads of one tenant (or of all)."""
    level = "+" if tenant is None else require_tenant(tenant)
    return f"{PREFIX}/{level}/{SCAIP_CHANNEL}/+"


class ScaipChannel:
    """Translates the SCAIP payloads of a broker for a :class:`LiveCentre` and answers them.

    ``clock`` is the receiver time given to each message as its ``ts`` (the centre's clock by
    default); a resend (same ``ref`` and content within 10 min) gets the same ``ts`` and
    ``seq`` and is judged a ``duplicate``.
    """

    def __init__(self, centre: LiveCentre, *, clock: Callable[[], float] = time.time,
                 limits: Limits = DEFAULT_LIMITS) -> None:
        """A channel for ``centre``; it listens after :meth:`start`."""
        self.centre = centre
        self._clock = clock
        self._limits = limits
        self._resends = ScaipMemory()
        self.last_reply: bytes | None = None
        """The latest answer published (for tests and the display)."""

    def start(self) -> None:
        """Subscribe to the SCAIP payloads of the centre's tenants (or of all tenants); in a
        share group, as one of its processes."""
        for tenant in self.centre.tenants or (None,):
            self.centre.listen(self.centre.shared(scaip_subscription(tenant)), self.receive)

    def receive(self, topic: str, payload: bytes) -> Answer | None:
        """Translate, judge and answer one SCAIP payload; raises only if the store fails."""
        levels = scaip_topic_levels(topic)
        if levels is None:
            return None  # not a SCAIP topic: the subscription never delivers one
        if self.centre.ignores(topic, payload):
            return None  # a retained payload being cleared
        tenant, controller = levels
        reply_on = (scaip_reply_topic(tenant, controller)
                    if valid_tenant(tenant) and LEVEL.fullmatch(controller) else None)
        if self.centre.in_hand_retained:  # a stale copy: answered, never handled
            stale = retained_rejection(topic, payload)
            return self._refuse(topic, tenant, reply_on, None, (ScaipFault(
                RETAINED_EVENT, "", RETAINED_EVENT, "", stale.expected, stale.got),))
        try:
            return self._handle(topic, payload, tenant, reply_on)
        except CentreStoreError:
            raise  # nothing stored, nothing answered: the broker will deliver it again
        except Exception as bug:  # a live centre keeps running; the bug is counted and shown
            return self._refuse(topic, tenant, reply_on, None, (ScaipFault(
                "centre_error", "", "", "", "a payload the centre can handle",
                preview(f"centre error: {bug!r}")),))

    def _handle(self, topic: str, payload: bytes, tenant: str, reply_on: str | None
                ) -> Answer:
        """Read, translate, judge and answer a payload on a SCAIP topic."""
        request = read_mrq(payload, self._limits)
        if isinstance(request, tuple):
            return self._refuse(topic, tenant, reply_on, None, request)
        now = self._clock()
        device_id = device_id_of(request)
        last = self.centre.last_seq(tenant, device_id)
        ts, seq = self._resends.stamp(tenant, request, now, 0 if last is None else last + 1)
        translation = translate(request, tenant, ts, seq, topic)
        if translation.payload is None:
            return self._refuse(topic, tenant, reply_on, request.ref, translation.faults)
        answer = self.centre.receive_event(translation.topic, translation.payload)
        if answer is None:  # cannot happen: a translation names a catalog kind and has a body
            raise RuntimeError(f"the centre ignored the translation on {translation.topic}")
        verdict = ACCEPTED if answer.accepted else answer.verdict
        faults = rejection_faults(answer.rejection, verdict)
        self._reply(reply_on, scaip_reply(
            request.ref, verdict, faults, topic=translation.topic, device_id=answer.device_id,
            message_id=answer.message_id, place=answer.place or None,
            incident_id=answer.incident_id))
        return answer

    def _refuse(self, topic: str, tenant: str, reply_on: str | None, ref: str | None,
                faults: tuple[ScaipFault, ...]) -> Answer:
        """Store, count and answer a payload that could not become a contract message."""
        first = faults[0]
        detail = (f"SCAIP {first.reason} at <{first.element or 'mrq'}>: expected "
                  f"{first.expected}, got {first.got}")
        body = scaip_reply(ref, first.reason, faults, topic=topic)
        self.last_reply = body
        return self.centre.refuse(topic, tenant, first.reason, preview(detail), reply_on, body)

    def _reply(self, topic: str | None, body: bytes) -> None:
        """Publish the answer to a translated payload (a failure is counted by the centre);
        None: the topic names no usable tenant or controller, there is nowhere to answer."""
        self.last_reply = body
        if topic is not None:
            self.centre.publish_answer(topic, body)
