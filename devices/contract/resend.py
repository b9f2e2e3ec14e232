"""The device's resend rule: an alarm is sent again, same message, until the centre answers it.

A device keeps each alarm until the centre answers it (an acknowledgement, or a ``duplicate``
rejection: already stored) and sends the very same message again (same ``message_id``, ``seq``
and ``ts``) while it is not answered. The waits grow exponentially and are *jittered*: after a
broker restart or a centre outage thousands of devices find their alarms unanswered at the same
moment; fixed waits would make them resend in lockstep, every few seconds, and bury the
recovering centre under copies (one run: 123,928 copies of 10,000 alarms in 170 s). The wait
before attempt ``n`` (1 = the first resend) is drawn uniformly from
``[(1 - jitter) * d, d]`` with ``d = min(first_s * factor ** (n - 1), max_s)``
("equal jitter" when ``jitter`` is 0.5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

__all__ = ["DEFAULT_RESEND", "ResendPolicy"]


@dataclass(frozen=True, slots=True)
class ResendPolicy:
    """When an unanswered message is sent again: ``first_s``, then ``factor`` times longer each
    time, at most ``max_s``, each wait shortened by a random part of up to ``jitter``."""

    first_s: float = 5.0
    factor: float = 2.0
    max_s: float = 300.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        """Refuse a rule that would resend at once or forever faster."""
        if self.first_s <= 0 or self.factor < 1 or self.max_s < self.first_s or not (
                0 <= self.jitter <= 1):
            raise ValueError(
                "a resend rule needs first_s > 0, factor >= 1, max_s >= first_s and jitter in "
                f"0..1; got {self}")

    def ceiling(self, attempt: int) -> float:
        """The longest wait before resend number ``attempt`` (1 = the first resend)."""
        if attempt < 1:
            raise ValueError(f"attempts count from 1, got {attempt}")
        exponent = min(attempt - 1, 64)  # beyond this the cap holds anyway
        return float(min(self.first_s * self.factor ** exponent, self.max_s))

    def wait(self, attempt: int, uniform: Callable[[], float]) -> float:
        """The wait before resend number ``attempt``, jittered with ``uniform`` (a draw from
        U(0, 1): ``random.Random(seed).random``, or a named stream's sampler)."""
        ceiling = self.ceiling(attempt)
        return ceiling * (1.0 - self.jitter * uniform())

    def describe(self) -> str:
        """The rule in words, for docs and messages."""
        return (f"after {self.first_s:g} s, then {self.factor:g} times longer each time, at "
                f"most {self.max_s:g} s, each wait shortened by a random part of up to "
                f"{self.jitter:.0%}")


DEFAULT_RESEND: Final = ResendPolicy()
"""The rule the contract documents (docs/message-contract.md, docs/vendors.md)."""
