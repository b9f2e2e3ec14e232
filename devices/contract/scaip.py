"""SCAIP alarm messages (SS 91100 / CENELEC TS 50134-9) translated to the message contract.

A SCAIP device or receiver sends an alarm as an XML ``mrq`` document (message request); the
receiver answers with an ``mrs`` (message response: the request's reference ``ref`` and a
status number ``snu``). This module reads an ``mrq`` safely and turns it into the contract
message the centre judges like any JSON message, or into faults named in both vocabularies:
the SCAIP element and code, and the contract field path and reason.

Reading (:func:`read_mrq`): at most ``Limits.max_bytes``; UTF-8 only; no DTD, so no entity
(billion laughs) and no external reference can be expanded (``defusedxml`` with
``forbid_dtd``); a flat ``mrq`` with each element at most once, each checked against the
pattern of the public schema as listed by the open-source gateway named in
:data:`devices.contract.catalog.SCAIP_SOURCE`.

Translating (:func:`translate`), with ``ref``, ``cid``, ``did``, ``dty``, ``stc``, ``mty``:

- ``message_id`` is ``ref``; ``device_id`` is ``cid``, or ``{cid}-{did}`` when the request
  names a device of the controller;
- ``device_type`` and ``event`` are the catalog event whose SCAIP codes are ``dty`` and ``stc``
  (``mty`` ``ME``, ``IN`` or absent) or whose message type is ``mty`` ``PI``; where several events
  share the codes the first in catalog order is taken, unless ``ite`` names another with
  ``event=<name>``;
- ``ts`` and ``seq`` are the receiver's: SCAIP carries neither (the receipt time; the next
  number after the device's last);
- the event's own fields come from ``ite`` written as ``name=value;name=value`` (a convention
  of vtsim, not of SCAIP), latitude and longitude also from ``lge``/``geo`` (``lat,lon``); a
  fall detector's ``confidence`` is 1.0 unless ``ite`` names one (SCAIP reports a detector's
  decision, not a probability);
- ``dte``, ``stt``, ``lte``, ``lco``, ``lva``, free text in ``ite`` and the other elements
  are checked but not carried: the contract has no field for them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final
from xml.sax.saxutils import escape

import orjson
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from devices.contract.catalog import DEVICE_TYPES, EventSpec, FieldSpec
from devices.contract.codec import (
    DEFAULT_LIMITS,
    Limits,
    Rejected,
    format_ts,
    preview,
    printable,
    truncate,
)
from devices.contract.messages import SCHEMA_VERSION
from devices.contract.scaip_codes import ALL_DEVICE_TYPES, ALL_STATUS_CODES
from devices.contract.topics import CENTRE, EVENTS, KIND, LEVEL, PREFIX, valid_tenant

__all__ = [
    "SCAIP_CHANNEL",
    "ScaipFault",
    "ScaipMemory",
    "ScaipRequest",
    "Translation",
    "candidates",
    "contract_faults",
    "mrq_document",
    "read_mrq",
    "scaip_reply_topic",
    "scaip_topic",
    "translate",
]

SCAIP_CHANNEL: Final = "scaip"
"""Topic level of SCAIP payloads: ``vt/v1/{tenant}/scaip/{controller}``."""
RESEND_WINDOW_S: Final = 600.0
"""A request with the same ``ref`` and content within this time is a resend (10 min)."""
MEMORY_SIZE: Final = 100_000
"""Most requests the resend memory keeps (the oldest are forgotten first)."""
MAX_ELEMENTS: Final = 64
"""Most XML elements one ``mrq`` may hold (it defines 23)."""
AUTOMATIC_CONFIDENCE: Final = 1.0
"""``confidence`` of a SCAIP fall alarm that names none: the detector decided."""

# --- SCAIP status numbers of the mrs (snu) ---------------------------------------------------

SNU_OK: Final = 0
SNU_TOO_LONG: Final = 1
SNU_INVALID_FORMAT: Final = 2
SNU_WRONG_CONTENT: Final = 3
SNU_NOT_TREATED: Final = 5
SNU_BUSY: Final = 6
SNU_TAG_MISSING: Final = 7
SNU_NAMES: Final[Mapping[int, str]] = MappingProxyType({
    SNU_OK: "ok", SNU_TOO_LONG: "message too long", SNU_INVALID_FORMAT: "invalid format",
    SNU_WRONG_CONTENT: "wrong data content", SNU_NOT_TREATED: "not treated", SNU_BUSY: "busy",
    SNU_TAG_MISSING: "mandatory tag missing",
})

# SCAIP-side reasons, each with its snu.
SCAIP_REASONS: Final[Mapping[str, int]] = MappingProxyType({
    "oversize": SNU_TOO_LONG,
    "invalid_encoding": SNU_INVALID_FORMAT,
    "not_xml": SNU_INVALID_FORMAT,
    "forbidden_xml": SNU_INVALID_FORMAT,
    "not_mrq": SNU_INVALID_FORMAT,
    "unknown_element": SNU_INVALID_FORMAT,
    "repeated_element": SNU_INVALID_FORMAT,
    "missing_element": SNU_TAG_MISSING,
    "bad_element": SNU_WRONG_CONTENT,
    "unknown_code": SNU_WRONG_CONTENT,
    "unmapped_code": SNU_WRONG_CONTENT,
    "topic_mismatch": SNU_WRONG_CONTENT,
    "bad_topic": SNU_WRONG_CONTENT,
    "contract": SNU_WRONG_CONTENT,
    "rate_limited": SNU_BUSY,
    "retained_event": SNU_NOT_TREATED,
    "centre_error": SNU_NOT_TREATED,
})
"""Why a SCAIP payload was refused, and the ``snu`` it is answered with; ``contract`` means the
translated message broke the contract (the contract reason says how)."""


@dataclass(frozen=True, slots=True)
class Element:
    """One element of ``mrq``: its pattern (or length bounds), the contract path it feeds."""

    pattern: str
    path: str = ""
    required: bool = False


def length(low: int, high: int) -> str:
    """A pattern for any text of ``low``..``high`` characters."""
    return rf"(?s:.{{{low},{high}}})"


ELEMENTS: Final[Mapping[str, Element]] = MappingProxyType({
    "ref": Element(r"[0-9a-zA-Z]{1,16}", "message_id", required=True),
    "ver": Element(r"[0-9]{2}\.[0-9]{2}"),
    "sco": Element(r"[0-3]"),
    "cha": Element(r"[0-9]"),
    "mty": Element(r"ME|RE|IN|PI", "event"),
    "hbo": Element(r"[0-9]{1,3}"),
    "cid": Element(r"[0-9]{1,16}", "device_id", required=True),
    "dty": Element(r"[0-9]{1,4}", "device_type", required=True),
    "did": Element(length(1, 8), "device_id"),
    "dco": Element(r"[0-9]{1,3}"),
    "dte": Element(length(1, 32)),
    "crd": Element(length(1, 256)),
    "stc": Element(r"[0-9]{1,4}", "event"),
    "stt": Element(length(1, 32)),
    "pri": Element(r"[0-9]"),
    "lco": Element(r"[0-9]{1,3}"),
    "lva": Element(length(1, 2)),
    "lge": Element(""),
    "lte": Element(length(1, 32)),
    "ico": Element(r"[0-9]{1,3}"),
    "ite": Element(length(1, 128)),
    "ame": Element(r"[01]?"),
})
"""The elements of ``mrq`` in schema order, with their patterns as the source lists them."""
GEO_ELEMENTS: Final[Mapping[str, str]] = MappingProxyType({
    "geo": r"[0-9.,]{1,23}", "tim": r"[0-9:+T-]{22}", "gga": length(0, 81),
})
"""The elements inside ``lge`` (location, geographic)."""
CARRIED: Final = ("ref", "cid", "did", "dty", "stc", "mty", "ite", "lge")
"""Elements whose content reaches the contract message; the others are checked only."""
PAIR: Final = re.compile(r"([a-z][a-z0-9_]{0,63})=([^;=]*)")
NUMBER: Final = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
INTEGER: Final = re.compile(r"-?(0|[1-9][0-9]*)")
ENCODING: Final = re.compile(rb"^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")
POSITION_FIELDS: Final = ("lat", "lon")


# --- verdicts --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScaipFault:
    """One fault of a SCAIP payload, in both vocabularies.

    ``reason`` is the SCAIP-side reason (:data:`SCAIP_REASONS`), ``element`` the ``mrq``
    element (``""``: the payload as a whole); ``contract_reason`` and ``path`` are the
    contract's reason code and field path where the fault has one.
    """

    reason: str
    element: str
    contract_reason: str
    path: str
    expected: str
    got: str

    @property
    def snu(self) -> int:
        """The SCAIP status number this fault is answered with."""
        return SCAIP_REASONS[self.reason]

    def as_json(self) -> dict[str, str]:
        """The fault as a JSON-ready dict."""
        return {"scaip_reason": self.reason, "scaip_element": self.element,
                "contract_reason": self.contract_reason, "path": self.path,
                "expected": self.expected, "got": self.got}


def fault(reason: str, element: str, expected: str, got: str, contract_reason: str = "",
          path: str | None = None, *, quoted: bool = True) -> ScaipFault:
    """A fault; ``path`` defaults to the contract path the element feeds. ``got`` is text of
    the message, JSON-quoted as the contract's faults show it, unless ``quoted`` is False: a
    description (``nothing``, ``twice``, a count), shown as it is."""
    where = ELEMENTS[element].path if path is None and element in ELEMENTS else (path or "")
    shown = preview(got) if quoted else truncate(printable(got))
    return ScaipFault(reason, element, contract_reason, where, expected, shown)


def element_of(path: str) -> str:
    """The ``mrq`` element a contract field path comes from (``""``: set by the receiver)."""
    head = path.split(".", 1)[0]
    if head in ("", "ts", "seq", "schema_version"):
        return ""
    return {"message_id": "ref", "device_id": "cid/did", "device_type": "dty",
            "event": "stc/mty", "lat": "lge/geo or ite", "lon": "lge/geo or ite"}.get(
        head, f"ite {head}=")


def contract_faults(rejected: Rejected) -> tuple[ScaipFault, ...]:
    """A contract rejection of a translated message, each fault with its SCAIP element (a
    missing event field says how to give it in ``ite``)."""
    return tuple(ScaipFault("contract", element_of(each.path), rejected.reason, each.path,
                            advice(each.path, each.expected, each.got), each.got)
                 for each in rejected.faults)


def advice(path: str, expected: str, got: str) -> str:
    """``expected`` of a contract fault, with the ``ite`` way to give a field SCAIP lacks."""
    if not element_of(path).startswith("ite") or not got.startswith("nothing"):
        return expected
    return f"{expected}: SCAIP has no element for it; add {path}=<value> to <ite>"


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScaipRequest:
    """The elements of one ``mrq`` (text, stripped), ``lge`` as its own elements."""

    elements: Mapping[str, str]
    geo: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        """The text of an element, or None when absent."""
        return self.elements.get(name)

    @property
    def ref(self) -> str:
        """The request's reference (present: it is required)."""
        return self.elements["ref"]

    def content_key(self) -> tuple[tuple[str, str], ...]:
        """Everything the request says, for telling a resend from a new request."""
        return (*sorted(self.elements.items()), *sorted(("lge/" + k, v)
                                                         for k, v in self.geo.items()))


def read_mrq(payload: bytes, limits: Limits = DEFAULT_LIMITS
             ) -> ScaipRequest | tuple[ScaipFault, ...]:
    """The ``mrq`` in ``payload``, or the faults that stop it from being read; never raises."""
    if len(payload) > limits.max_bytes:
        return (fault("oversize", "", f"at most {limits.max_bytes} bytes",
                      f"{len(payload)} bytes", "oversize", quoted=False),)
    encoding = declared_encoding(payload)
    if encoding is not None:
        return (encoding,)
    try:
        root = fromstring(payload, forbid_dtd=True, forbid_entities=True,
                          forbid_external=True)
    except (DefusedXmlException, ValueError) as error:  # DTDForbidden, EntitiesForbidden, ...
        return (fault("forbidden_xml", "", "an mrq document without a DTD, entities or "
                      "external references", type(error).__name__),)
    except ElementTree.ParseError as error:
        return (fault("not_xml", "", "a well-formed XML document", str(error),
                      quoted=False),)
    return request_of(root)


def declared_encoding(payload: bytes) -> ScaipFault | None:
    """A fault unless the payload is UTF-8 and declares no other encoding."""
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError as error:
        return fault("invalid_encoding", "", "UTF-8 text", f"byte {error.start}: "
                     f"{payload[error.start:error.start + 4]!r}", "invalid_utf8", quoted=False)
    match = ENCODING.match(payload)
    if match is not None and match[1].decode("ascii", "replace").lower() not in ("utf-8",
                                                                                    "utf8"):
        return fault("invalid_encoding", "", "encoding UTF-8 (or none declared)",
                     match[1].decode("ascii", "replace"), "invalid_utf8")
    return None


def local_name(tag: Any) -> str:
    """An element's name without its namespace (``{ns}mrq`` is ``mrq``)."""
    return str(tag).rsplit("}", 1)[-1]


def request_of(root: ElementTree.Element) -> ScaipRequest | tuple[ScaipFault, ...]:
    """The request of a parsed document, or its faults (all of them)."""
    if local_name(root.tag) != "mrq":
        return (fault("not_mrq", "", "a SCAIP message request <mrq>", f"<{local_name(root.tag)}>"),)
    count = sum(1 for _ in root.iter())  # bounded by the payload's size limit
    if count > MAX_ELEMENTS:
        return (fault("not_mrq", "", f"at most {MAX_ELEMENTS} elements", f"{count} elements",
                      quoted=False),)
    elements: dict[str, str] = {}
    geo: dict[str, str] = {}
    faults: list[ScaipFault] = []
    for child in root:
        name = local_name(child.tag)
        problems = element_faults(name, child, elements)
        faults.extend(problems)
        if name == "lge" and not problems:
            elements[name] = ""
            faults.extend(geo_faults(child, geo))
        elif name in ELEMENTS and name not in elements:
            elements[name] = (child.text or "").strip()
    faults.extend(fault("missing_element", name, f"<{name}> (mandatory)", "nothing",
                        "unknown_device_type" if name == "dty" else "schema", quoted=False)
                  for name, spec in ELEMENTS.items() if spec.required and name not in elements)
    if faults:
        return tuple(faults)
    return ScaipRequest(MappingProxyType(elements), MappingProxyType(geo))


def element_faults(name: str, child: ElementTree.Element, seen: Mapping[str, str]
                   ) -> list[ScaipFault]:
    """What is wrong with one child of ``mrq``: unknown, repeated, nested or off-pattern."""
    if name not in ELEMENTS:
        return [fault("unknown_element", name, "one of " + ", ".join(ELEMENTS),
                      f"<{name}>")]
    if name in seen:
        return [fault("repeated_element", name, f"<{name}> at most once", "twice",
                      quoted=False)]
    if name == "lge":
        return []
    if len(child):
        return [fault("bad_element", name, "text only", f"<{local_name(child[0].tag)}>")]
    text = (child.text or "").strip()
    if re.fullmatch(ELEMENTS[name].pattern, text) is None:
        reason = "missing_element" if not text and ELEMENTS[name].required else "bad_element"
        return [fault(reason, name, pattern_text(ELEMENTS[name].pattern), text or "empty",
                      "schema", quoted=bool(text))]
    return []


def geo_faults(lge: ElementTree.Element, geo: dict[str, str]) -> list[ScaipFault]:
    """Read the elements inside ``lge`` into ``geo``; their faults."""
    faults = []
    for child in lge:
        name = local_name(child.tag)
        text = (child.text or "").strip()
        pattern = GEO_ELEMENTS.get(name)
        if pattern is None or name in geo or len(child):
            faults.append(fault("unknown_element", f"lge/{name}",
                                "geo, tim or gga, each at most once, text only", f"<{name}>"))
        elif re.fullmatch(pattern, text) is None:
            faults.append(fault("bad_element", f"lge/{name}", pattern_text(pattern),
                                text or "empty", "schema", "lat" if name == "geo" else "",
                                quoted=bool(text)))
        else:
            geo[name] = text
    return faults


def pattern_text(pattern: str) -> str:
    """A pattern as a vendor reads it."""
    bounds = re.fullmatch(r"\(\?s:\.\{(\d+),(\d+)\}\)", pattern)
    if bounds is not None:
        return f"{bounds[1]}..{bounds[2]} characters"
    return f"text matching {pattern}"


# --- the mapping -----------------------------------------------------------------------------


def code_key(spec: EventSpec) -> tuple[str, str] | None:
    """``(dty, stc)`` of an event, ``(dty, "PI")`` for a heartbeat; None if it has no code."""
    codes = spec.scaip
    if codes.device_type is None:
        return None
    if codes.status is not None:
        return codes.device_type, codes.status
    if codes.message_type is not None:
        return codes.device_type, codes.message_type
    return None


def build_mapping() -> Mapping[tuple[str, str], tuple[EventSpec, ...]]:
    """The catalog events by their SCAIP codes, in catalog order."""
    mapping: dict[tuple[str, str], list[EventSpec]] = {}
    for kind in DEVICE_TYPES.values():
        for spec in kind.events.values():
            key = code_key(spec)
            if key is not None:
                mapping.setdefault(key, []).append(spec)
    return MappingProxyType({key: tuple(specs) for key, specs in mapping.items()})


MAPPING: Final = build_mapping()
"""``(dty, stc or "PI")`` to the catalog events that carry those codes, first one the default."""
UNMAPPED: Final[tuple[EventSpec, ...]] = tuple(
    spec for kind in DEVICE_TYPES.values() for spec in kind.events.values()
    if code_key(spec) is None)
"""Catalog events no SCAIP message can reach (they have no SCAIP code)."""


def candidates(dty: str, stc: str | None, mty: str | None) -> tuple[EventSpec, ...]:
    """The catalog events a request's codes map to (empty: none)."""
    if mty == "PI":
        return MAPPING.get((dty, "PI"), ())
    if stc is None or mty == "RE":
        return ()
    return MAPPING.get((dty, stc), ())


def mapped_statuses(dty: str) -> str:
    """The status codes mapped for a device type, as text."""
    codes = sorted(stc for (kind, stc) in MAPPING if kind == dty)
    return ", ".join(codes) if codes else "none"


# --- translating -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Translation:
    """A SCAIP request as a contract message: its topic and JSON payload, or the faults that
    stop it. ``ignored`` names the elements that were read but are not carried."""

    topic: str
    payload: bytes | None
    faults: tuple[ScaipFault, ...] = ()
    spec: EventSpec | None = None
    ignored: tuple[str, ...] = ()


def scaip_topic(tenant: str, controller: str) -> str:
    """Where a SCAIP payload of one controller goes: ``vt/v1/{tenant}/scaip/{controller}``."""
    return f"{PREFIX}/{tenant}/{SCAIP_CHANNEL}/{controller}"


def scaip_reply_topic(tenant: str, controller: str) -> str:
    """Where the centre answers it: ``vt/v1/{tenant}/centre/scaip/{controller}``."""
    return f"{PREFIX}/{tenant}/{CENTRE}/{SCAIP_CHANNEL}/{controller}"


def scaip_topic_levels(topic: str) -> tuple[str, str] | None:
    """``(tenant, controller)`` of a SCAIP topic (any level text), or None if it is not one."""
    levels = topic.split("/")
    if len(levels) != 5 or levels[:2] != ["vt", "v1"] or levels[3] != SCAIP_CHANNEL:
        return None
    return levels[2], levels[4]


def topic_faults(topic: str, request: ScaipRequest) -> tuple[ScaipFault, ...]:
    """Faults of the SCAIP topic: its scheme, and its controller against ``cid``."""
    levels = scaip_topic_levels(topic)
    expected = ("vt/v1/{tenant}/scaip/{controller}: ASCII letters, digits and '_.-' in each "
                "level; tenant not 'centre'")
    if levels is None or not valid_tenant(levels[0]) or LEVEL.fullmatch(levels[1]) is None:
        return (fault("bad_topic", "", expected, topic, "bad_topic", "topic"),)
    if levels[1] != request.get("cid"):
        return (fault("topic_mismatch", "cid", f"the topic's controller {preview(levels[1])}",
                      request.get("cid") or "", "topic_mismatch"),)
    return ()


def translate(request: ScaipRequest, tenant: str, ts_epoch_s: float, seq: int,
              topic: str | None = None) -> Translation:
    """The contract message a request stands for, with the receiver's ``ts`` and ``seq``.

    ``topic`` is the SCAIP topic it came on (checked against ``cid``); None offline.
    """
    faults = topic_faults(topic, request) if topic is not None else ()
    chosen = choose_event(request)
    if isinstance(chosen, ScaipFault):
        faults = (*faults, chosen)
    device_id = device_id_of(request)
    where = scaip_topic(tenant, request.get("cid") or "") if topic is None else topic
    if faults or isinstance(chosen, ScaipFault):
        return Translation(where, None, faults)
    spec, pairs = chosen
    fields, field_faults = event_fields(spec, pairs, request)
    if field_faults:
        return Translation(where, None, field_faults, spec)
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION, "message_id": request.ref, "device_id": device_id,
        "device_type": spec.device_type, "event": spec.event, "ts": format_ts(ts_epoch_s),
        "seq": seq, **fields,
    }
    kind = spec.device_type if KIND.fullmatch(spec.device_type) else "unknown"
    contract_topic = f"{PREFIX}/{tenant}/{kind}/{device_id}/{EVENTS}"
    ignored = tuple(name for name in request.elements if name not in CARRIED)
    return Translation(contract_topic, orjson.dumps(document), (), spec, ignored)


def device_id_of(request: ScaipRequest) -> str:
    """``cid``, or ``{cid}-{did}`` for a device of the controller."""
    did = request.get("did")
    cid = request.get("cid") or ""
    return cid if not did else f"{cid}-{did}"


def choose_event(request: ScaipRequest
                 ) -> tuple[EventSpec, dict[str, str]] | ScaipFault:
    """The catalog event the request's codes name, and the ``name=value`` pairs of ``ite``."""
    dty = request.elements["dty"].zfill(4)
    stc_text, mty = request.get("stc"), request.get("mty")
    stc = None if stc_text is None else stc_text.zfill(4)
    pairs = ite_pairs(request.get("ite"))
    repeated = repeated_ite_name(request.get("ite"))
    if repeated is not None:
        name, given = repeated
        return fault("bad_element", "ite", f"{name}= at most once in <ite>", given, "schema",
                     name)
    if dty not in ALL_DEVICE_TYPES:
        return fault("unknown_code", "dty", "a device type of SS 91100:2014 (0000..0051)", dty,
                     "unknown_device_type")
    if stc is not None and stc not in ALL_STATUS_CODES:
        return fault("unknown_code", "stc", "a status code of SS 91100:2014 (0000..0127)", stc,
                     "unknown_event")
    found = candidates(dty, stc, mty)
    if not found:
        return unmapped(dty, stc, mty)
    wanted = pairs.pop("event", None)
    if wanted is None:
        return found[0], pairs
    for spec in found:
        if spec.event == wanted:
            return spec, pairs
    names = ", ".join(spec.event for spec in found)
    return fault("unmapped_code", "ite", f"event= one of {names} (the events of dty {dty}, "
                 f"stc {stc or mty})", f"event={wanted}", "unknown_event", "event")


def unmapped(dty: str, stc: str | None, mty: str | None) -> ScaipFault:
    """The fault of codes SCAIP knows but the contract maps to no event."""
    kind = ALL_DEVICE_TYPES[dty]
    if mty == "RE":
        return fault("unmapped_code", "mty", "ME, IN or PI (a reset has no contract event)",
                     "RE", "unknown_event")
    if mty == "PI":
        return fault("unmapped_code", "dty", "a heartbeat (mty PI) of dty 0002 (local unit and "
                     "controller)", f"{dty} ({kind})", "unknown_event", "event")
    if stc is None:
        return fault("missing_element", "stc", "a status code (stc) for mty ME or IN",
                     "nothing", "unknown_event", quoted=False)
    if not any(key[0] == dty for key in MAPPING):
        return fault("unmapped_code", "dty", "a device type the contract maps: "
                     + ", ".join(sorted({key[0] for key in MAPPING})),
                     f"{dty} ({kind})", "unknown_device_type")
    return fault("unmapped_code", "stc", f"a status the contract maps for dty {dty} ({kind}): "
                 f"{mapped_statuses(dty)}", f"{stc} ({ALL_STATUS_CODES[stc]})", "unknown_event")


def ite_pairs(text: str | None) -> dict[str, str]:
    """``name=value`` pairs of ``ite`` (``;``-separated); none when it is free text."""
    if not text:
        return {}
    parts = [part.strip() for part in text.split(";") if part.strip()]
    matches = [PAIR.fullmatch(part) for part in parts]
    if not parts or any(match is None for match in matches):
        return {}
    return {match[1]: match[2].strip() for match in matches if match is not None}


def repeated_ite_name(text: str | None) -> tuple[str, str] | None:
    """The first name that ``ite``'s ``name=value`` pairs give more than once, with every
    pair of that name (``battery_pct=12;battery_pct=13``); None when none is repeated."""
    if not text or not ite_pairs(text):
        return None
    matches = [PAIR.fullmatch(part.strip()) for part in text.split(";") if part.strip()]
    names = [match[1] for match in matches if match is not None]
    for name in names:
        if names.count(name) > 1:
            given = [m[0].strip() for m in matches if m is not None and m[1] == name]
            return name, ";".join(given)
    return None


def event_fields(spec: EventSpec, pairs: dict[str, str], request: ScaipRequest
                 ) -> tuple[dict[str, Any], tuple[ScaipFault, ...]]:
    """The event's own fields from ``ite``, ``lge``/``geo`` and the fall default."""
    by_name = {each.name: each for each in spec.fields}
    fields: dict[str, Any] = {name: typed(by_name.get(name), value)
                              for name, value in pairs.items()}
    faults: list[ScaipFault] = []
    geo = request.geo.get("geo")
    if geo is not None and "lat" in by_name:
        position = geo_position(geo)
        if position is None:
            faults.append(fault("bad_element", "lge/geo", "latitude,longitude in degrees",
                                geo, "schema", "lat"))
        for name, value in zip(POSITION_FIELDS, position or (), strict=False):
            if name in fields and fields[name] != value:
                faults.append(fault("bad_element", "ite", f"{name} as in lge/geo ({value})",
                                    f"{name}={pairs[name]}", "schema", name))
            fields[name] = value
    if "confidence" in by_name and "confidence" not in fields and spec.scaip.status == "0009":
        fields["confidence"] = AUTOMATIC_CONFIDENCE
    return fields, tuple(faults)


def typed(spec: FieldSpec | None, value: str) -> Any:
    """A value of ``ite`` as its field's JSON type (unchanged text when it is not one; the
    contract then says what it expected)."""
    if spec is None or spec.type == "str":
        return value
    if spec.type == "int" and NUMBER.fullmatch(value):
        # as a JSON number: an integral value (12.0, 1e1) is an integer, as JsonInteger says
        return int(value) if INTEGER.fullmatch(value) else float(value)
    if spec.type == "float" and NUMBER.fullmatch(value):
        return float(value)
    return value


def geo_position(text: str) -> tuple[float, float] | None:
    """``lat,lon`` of ``lge``/``geo``, or None when it is not two numbers."""
    parts = text.split(",")
    if len(parts) != 2 or not all(NUMBER.fullmatch(part) for part in parts):
        return None
    return float(parts[0]), float(parts[1])


# --- resends ---------------------------------------------------------------------------------


class ScaipMemory:
    """The receiver's ``ts`` and ``seq`` given to each recent request, so that a resend (same
    device, ``ref`` and content within :data:`RESEND_WINDOW_S`) is translated to the same
    message and judged a ``duplicate``; a reused ``ref`` with other content, or later, is a
    new message. Bounded: the oldest requests are forgotten first."""

    def __init__(self, window_s: float = RESEND_WINDOW_S, size: int = MEMORY_SIZE) -> None:
        """An empty memory."""
        self.window_s = window_s
        self.size = size
        self._seen: OrderedDict[tuple[object, ...], tuple[float, int]] = OrderedDict()

    def stamp(self, tenant: str, request: ScaipRequest, now: float, next_seq: int
              ) -> tuple[float, int]:
        """``(ts, seq)`` for a request: those of its first sending, or ``(now, next_seq)``."""
        key = (tenant, request.get("cid"), request.get("did"), request.content_key())
        known = self._seen.get(key)
        if known is not None and now - known[0] <= self.window_s:
            return known
        self._seen[key] = (now, next_seq)
        self._seen.move_to_end(key)
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return now, next_seq


# --- writing mrq (examples, tests) -----------------------------------------------------------


def mrq_document(spec: EventSpec, values: Mapping[str, object], *, ref: str, cid: str,
                 did: str | None = None, lco: str | None = None) -> bytes:
    """The ``mrq`` a SCAIP device sends for a catalog event with the given field values.

    Latitude and longitude go in ``lge``/``geo`` when neither is negative (its pattern has no
    sign), else in ``ite``; every other field, and ``event=`` where the codes are shared, in
    ``ite``. ``confidence`` 1.0 of a SCAIP fall alarm is left out (it is the default).
    """
    key = code_key(spec)
    if key is None:
        raise ValueError(f"{spec.device_type}.{spec.event} has no SCAIP code")
    dty, code = key
    pairs = dict(values)
    geo = None
    if "lat" in pairs and "lon" in pairs and float(str(pairs["lat"])) >= 0 <= float(
            str(pairs["lon"])):
        geo = f"{pairs.pop('lat')},{pairs.pop('lon')}"
    if pairs.get("confidence") == AUTOMATIC_CONFIDENCE and spec.scaip.status == "0009":
        del pairs["confidence"]
    if MAPPING[key][0] is not spec:
        pairs = {"event": spec.event, **pairs}
    parts = [("ref", ref), ("mty", "PI" if code == "PI" else "ME"), ("cid", cid),
             ("dty", dty)]
    if did is not None:
        parts.append(("did", did))
    if code != "PI":
        parts.append(("stc", code))
    if lco is not None:
        parts.append(("lco", lco))
    body = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in parts)
    if geo is not None:
        body += f"<lge><geo>{geo}</geo></lge>"
    if pairs:
        body += "<ite>" + escape(";".join(f"{k}={v}" for k, v in pairs.items())) + "</ite>"
    return f'<?xml version="1.0" encoding="UTF-8"?><mrq>{body}</mrq>'.encode()
