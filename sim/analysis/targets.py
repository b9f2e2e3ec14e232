"""Service targets a centre is sized for: ``answer 98.5% within 60s``, ``visit 90% within 45min``,
or in Bokmål ``svar 98,5 % innen 60 s``, ``besøk 90 % innen 45 min``.

An *answer* target is on the time from an alarm reaching the centre to an operator answering; a
*visit* target is on the time from the alarm to a field worker arriving at the home (MASCOT/TSA).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from sim.errors import VtsimError
from sim.scenario.durations import format_duration, parse_duration

TargetKind = Literal["answer", "visit"]

_TARGET = re.compile(
    r"^\s*(?P<kind>answer|visit)\s+(?P<share>\d+(?:\.\d+)?)\s*%\s+within\s+(?P<within>\S+)\s*$",
    re.IGNORECASE,
)
_NORWEGIAN = re.compile(
    r"^\s*(?P<kind>svar|besvart|besøk|utrykning)\s+(?P<share>\d+(?:[.,]\d+)?)\s*%\s+innen\s+"
    r"(?P<number>\d+(?:[.,]\d+)?)\s*(?P<unit>s|sek|sekund|sekunder|min|minutt|minutter|t|"
    r"time|timer)\s*$",
    re.IGNORECASE,
)
NORWEGIAN_KINDS: dict[str, TargetKind] = {"svar": "answer", "besvart": "answer",
                                          "besøk": "visit", "utrykning": "visit"}
NORWEGIAN_UNITS = {"s": "s", "sek": "s", "sekund": "s", "sekunder": "s", "min": "min",
                   "minutt": "min", "minutter": "min", "t": "h", "time": "h", "timer": "h"}
EXAMPLES = ('"answer 98.5% within 60s" or "visit 90% within 45min" (or in Bokmål '
            '"svar 98,5 % innen 60 s", "besøk 90 % innen 45 min")')


class TargetError(VtsimError):
    """A target string that cannot be read."""


@dataclass(frozen=True, slots=True)
class Target:
    """A share of alarms that must be answered (or visited) within a time."""

    kind: TargetKind
    share: float
    within_s: float

    @property
    def metric(self) -> str:
        """The replication metric measuring this target (``answer.within_60s``)."""
        prefix = "answer" if self.kind == "answer" else "visits"
        return f"{prefix}.within_{format_duration(self.within_s)}"

    def attainment_key(self, group: str) -> str:
        """The per-shift or per-zone attainment key (``attainment.answer.within_60s.night``)."""
        return f"attainment.{self.metric}.{group}"

    def describe(self) -> str:
        """The target as a user writes it."""
        return f"{self.kind} {self.share * 100:g}% within {format_duration(self.within_s)}"


def parse_target(text: str) -> Target:
    """Read ``"answer 98.5% within 60s"``; raise :class:`TargetError` saying what is expected."""
    norwegian = _NORWEGIAN.match(text)
    if norwegian:
        return norwegian_target(text, norwegian)
    match = _TARGET.match(text)
    if not match:
        raise TargetError(f"cannot read the target {text!r}; write it as {EXAMPLES}")
    kind: TargetKind = "answer" if match["kind"].lower() == "answer" else "visit"
    return checked_target(text, kind, match["share"], match["within"])


def norwegian_target(text: str, match: re.Match[str]) -> Target:
    """``svar 98,5 % innen 60 s``: decimal comma, a space before the unit allowed."""
    number = match["number"].replace(",", ".")
    within = f"{number}{NORWEGIAN_UNITS[match['unit'].lower()]}"
    return checked_target(text, NORWEGIAN_KINDS[match["kind"].lower()],
                          match["share"].replace(",", "."), within)


def checked_target(text: str, kind: TargetKind, share_text: str, within_text: str) -> Target:
    """The target, once its share and time are checked."""
    share = float(share_text)
    if not 0 < share <= 100:
        raise TargetError(f"the share in {text!r} must be above 0 % and at most 100 %")
    try:
        within = parse_duration(within_text)
    except ValueError:
        raise TargetError(f"cannot read the time {within_text!r} in {text!r}; use a "
                          "duration such as 20s, 60s, 45min or 1h") from None
    if within <= 0:
        raise TargetError(f"the time in {text!r} must be longer than 0")
    return Target(kind, share / 100.0, within)
