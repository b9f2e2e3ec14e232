"""Who may use the console: trainees by join code and name, the trainer by the session's secret.

The session has a join code (printed for the trainer, told to the class) and a secret (the
trainer token). A trainee logs in with the join code and a name and gets a seat token, kept by
the browser in an HttpOnly, SameSite=Strict cookie; every action is taken as the seat's
operator, never as a name sent in the request. A seat whose tab has been closed (no open event
stream) for ``seat_timeout`` seconds is freed.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from devices.contract.centre_actions import OPERATOR_PATTERN, operator_key, reserved_name

JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""Join code letters: no 0/O or 1/I, which are easy to mix up when read aloud."""
JOIN_LENGTH = 6
FAILED_LOGINS_PER_MINUTE = 20
NAME = re.compile(OPERATOR_PATTERN)


class AccessError(Exception):
    """A refused login or request: the HTTP status and the reason, in bokmål."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(slots=True)
class Seat:
    """A logged-in trainee."""

    name: str
    token: str
    streams: int = 0
    last_seen: float = 0.0


def new_join_code() -> str:
    """A random join code of :data:`JOIN_LENGTH` letters and digits."""
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_LENGTH))


class Access:
    """The session's join code, trainer token and seats (used from the web server's thread)."""

    def __init__(self, trainer_token: str, join_code: str | None = None,
                 seat_timeout: float = 30.0, clock: Callable[[], float] = time.monotonic,
                 taken_names: Callable[[], set[str]] = set) -> None:
        self.trainer_token = trainer_token
        self.join_code = join_code or new_join_code()
        self.seat_timeout = seat_timeout
        self.seats: dict[str, Seat] = {}
        self._clock = clock
        self._taken_names = taken_names
        self._failures: list[float] = []

    def log_in(self, join_code: str, name: str) -> Seat:
        """A new seat for ``name``, or an :class:`AccessError` saying why not."""
        self._check_rate()
        if not hmac.compare_digest(join_code.strip().upper().encode(), self.join_code.encode()):
            self._failures.append(self._clock())
            raise AccessError(403, "feil påloggingskode")
        name = " ".join(name.split())
        check_name(name)
        key = operator_key(name)
        taken = {operator_key(s.name) for s in self.seats.values()} | {
            operator_key(n) for n in self._taken_names()}
        if key in taken:
            raise AccessError(409, f"navnet {name} er allerede i bruk i denne økten")
        seat = Seat(name, secrets.token_urlsafe(24), last_seen=self._clock())
        self.seats[seat.token] = seat
        return seat

    def _check_rate(self) -> None:
        now = self._clock()
        self._failures = [t for t in self._failures if now - t < 60.0]
        if len(self._failures) >= FAILED_LOGINS_PER_MINUTE:
            raise AccessError(429, "for mange feil påloggingsforsøk: vent et minutt")

    def seat(self, token: str | None) -> Seat | None:
        """The seat of a token (and mark it seen), or None."""
        seat = self.seats.get(token or "")
        if seat is not None:
            seat.last_seen = self._clock()
        return seat

    def is_trainer(self, token: str | None) -> bool:
        """Whether ``token`` is the trainer's."""
        return bool(token) and hmac.compare_digest(str(token).encode(),
                                                   self.trainer_token.encode())

    def log_out(self, token: str) -> Seat | None:
        """Free a seat; the seat freed, or None."""
        return self.seats.pop(token, None)

    def abandoned(self) -> list[Seat]:
        """Seats with no open tab for longer than the timeout (removed from the seats)."""
        now = self._clock()
        gone = [s for s in self.seats.values()
                if s.streams == 0 and now - s.last_seen > self.seat_timeout]
        for seat in gone:
            del self.seats[seat.token]
        return gone


def check_name(name: str) -> None:
    """Raise an :class:`AccessError` if ``name`` cannot be a trainee's name."""
    if not NAME.fullmatch(name) or name.endswith(" "):
        raise AccessError(400, "navnet kan ha bokstaver (også æ, ø og å), sifre, mellomrom og "
                               "tegnene . ' - (høyst 63 tegn)")
    if reserved_name(name):
        raise AccessError(409, f"navnet {name} er reservert for simulerte operatører")
