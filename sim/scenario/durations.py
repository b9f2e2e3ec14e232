"""Durations as people write them in a scenario: ``90s``, ``15min``, ``2h``, ``28d``."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

_UNITS = {"s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|min|h|d|w)\s*$")


def parse_duration(value: object) -> float:
    """Seconds from a number of seconds or a string such as ``"15min"`` (units s, min, h, d, w)."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 90s, 15min, 2h or 28d")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    if isinstance(value, str):
        match = _PATTERN.match(value)
        if match:
            return float(match.group(1)) * _UNITS[match.group(2)]
    raise ValueError("expected a duration such as 90s, 15min, 2h or 28d")


def format_duration(seconds: float) -> str:
    """The shortest exact way to write ``seconds`` with one unit (``3600`` → ``"1h"``)."""
    for unit in ("w", "d", "h", "min"):
        count = seconds / _UNITS[unit]
        if count >= 1 and count == int(count):
            return f"{int(count)}{unit}"
    return f"{seconds:g}s"


Seconds = Annotated[float, BeforeValidator(parse_duration)]
"""A duration field: accepts ``90``, ``"90s"``, ``"15min"``, … and holds seconds."""
