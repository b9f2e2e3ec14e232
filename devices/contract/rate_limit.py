"""Per-device rate limits of the live centre: one token bucket per device.

A device may send ``burst`` messages at once and ``rate_per_s`` messages a second on average;
beyond that its messages are answered ``rate_limited`` (and stored as rejections), while every
other device keeps its own bucket and is not slowed. Memory is bounded: beyond ``max_devices``
buckets, the full ones (devices that have been quiet) are forgotten first.

A flood is not a backlog. After an outage (of the centre, the broker or the network) the
messages a device sent meanwhile arrive at once; judged by their arrival they look like a
flood. :class:`SentTimeBuckets` judges such late messages by the device's own send times
(``ts``) instead: a device that sent at half its limit stays within it however late its
messages come. Send times are clamped to ``[max(previous, now - window_s), now]``, so a device
that fakes its times gains at most ``window_s`` seconds' worth of messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

DEFAULT_MAX_DEVICES: Final = 100_000


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``burst`` messages at once, ``rate_per_s`` a second on average, per device."""

    rate_per_s: float
    burst: float

    def __post_init__(self) -> None:
        """Reject limits that would refuse every message."""
        if self.rate_per_s <= 0 or self.burst < 1:
            raise ValueError(
                f"a rate limit needs rate_per_s > 0 and burst >= 1, got {self.rate_per_s} "
                f"and {self.burst}"
            )

    def describe(self) -> str:
        """What a device may send, for the ``expected`` field of a ``rate_limited`` answer."""
        return (f"at most {self.rate_per_s:g} messages a second (bursts of {self.burst:g}) "
                "from one device")


@dataclass(slots=True)
class Bucket:
    """The tokens one device has left, as of ``at`` (monotonic seconds)."""

    tokens: float
    at: float


class TokenBuckets:
    """One token bucket per key (tenant, device id); :meth:`take` says whether a message passes.
    """

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic,
                 max_devices: int = DEFAULT_MAX_DEVICES) -> None:
        """Buckets for ``limit``, on the monotonic ``clock``."""
        self.limit = limit
        self._clock = clock
        self._max_devices = max_devices
        self._buckets: dict[tuple[str, str], Bucket] = {}

    def take(self, key: tuple[str, str]) -> bool:
        """Spend one token of ``key``'s bucket; False (throttled) if it is empty."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            self._make_room()
            bucket = self._buckets[key] = Bucket(self.limit.burst, now)
        else:
            refill = (now - bucket.at) * self.limit.rate_per_s
            bucket.tokens = min(self.limit.burst, bucket.tokens + max(refill, 0.0))
            bucket.at = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def _make_room(self) -> None:
        """Forget full buckets (quiet devices) when there are too many."""
        if len(self._buckets) < self._max_devices:
            return
        now = self._clock()
        limit = self.limit
        self._buckets = {
            key: bucket for key, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.at) * limit.rate_per_s < limit.burst
        }
        if len(self._buckets) >= self._max_devices:  # all busy: start over rather than grow
            self._buckets.clear()

    def __len__(self) -> int:
        """How many devices have a bucket."""
        return len(self._buckets)


DEFAULT_BACKLOG_WINDOW_S: Final = 900.0
"""How far back a device's send times earn it tokens: a backlog of up to 15 minutes is judged
at the pace it was sent (antakelse: longer than the usual broker or centre restart)."""


@dataclass(slots=True)
class SentBucket:
    """The tokens one device has left, as of the (clamped) send time ``at`` (epoch s)."""

    tokens: float
    at: float


class SentTimeBuckets:
    """Token buckets refilled by the devices' own send times: see the module's docstring."""

    def __init__(self, limit: RateLimit, window_s: float = DEFAULT_BACKLOG_WINDOW_S,
                 max_devices: int = DEFAULT_MAX_DEVICES) -> None:
        """Buckets for ``limit``; send times earn tokens at most ``window_s`` back."""
        if window_s < 0:
            raise ValueError(f"the backlog window must be 0 s or more, got {window_s}")
        self.limit = limit
        self.window_s = window_s
        self._max_devices = max_devices
        self._buckets: dict[tuple[str, str], SentBucket] = {}

    def take(self, key: tuple[str, str], sent_at: float, now: float) -> bool:
        """Spend one token of ``key``'s bucket for a message sent at ``sent_at`` (device
        time) and received at ``now`` (epoch s); False if the device sent too fast."""
        floor = now - self.window_s
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_devices:
                self._buckets.clear()  # bounded memory: start over rather than grow
            start = min(max(sent_at, floor), now)
            bucket = self._buckets[key] = SentBucket(self.limit.burst, start)
        at = min(max(sent_at, bucket.at, floor), now)
        refill = (at - bucket.at) * self.limit.rate_per_s
        bucket.tokens = min(self.limit.burst, bucket.tokens + max(refill, 0.0))
        bucket.at = at
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def __len__(self) -> int:
        """How many devices have a bucket."""
        return len(self._buckets)
