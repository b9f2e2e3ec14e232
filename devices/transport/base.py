"""Transports that carry ``(topic, payload)`` pairs, behind one small interface.

:class:`InProcessTransport` is the default for fast simulation runs: synchronous, with MQTT
topic-filter semantics and retained messages. An MQTT transport implements the same protocol.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from devices.contract.topics import check_filter, check_topic_name, topic_matches

Handler = Callable[[str, bytes], None]
"""Receives ``(topic, payload)`` of each delivered message."""

TopicTest = Callable[[str], object]
"""Whether a topic name (without wildcards) matches one filter: truthy or falsy."""

QOS_LEVELS = (0, 1, 2)


@runtime_checkable
class Transport(Protocol):
    """Publish payloads on topics and subscribe handlers to topic filters."""

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> None:
        """Send ``payload`` on ``topic``; a retained payload is kept for later subscribers."""
        ...

    def subscribe(self, pattern: str, handler: Handler) -> None:
        """Deliver every later message whose topic matches ``pattern`` (and retained ones now)."""
        ...


class Route:
    """What the bus knows of one topic it has carried: its handlers and how many it carried."""

    __slots__ = ("handlers", "published")

    def __init__(self, handlers: tuple[Handler, ...]) -> None:
        self.handlers = handlers
        self.published = 0


class InProcessTransport:
    """A synchronous in-process message bus with MQTT matching and retained messages.

    Each publish calls, in subscription order, every handler whose filter matches the topic,
    before :meth:`publish` returns; exceptions from handlers propagate to the publisher. Each
    topic's handlers and its count of messages are kept together, so a publish costs one
    dictionary lookup plus the calls. Publishing with no subscriber is allowed (and counted).
    As in MQTT, a retained publish with an empty payload clears the topic's retained message.
    """

    __slots__ = ("_matchers", "_retained", "_routes", "_subscriptions", "published")

    def __init__(self) -> None:
        """An empty bus: no subscriptions, no retained messages, nothing published."""
        self._subscriptions: list[tuple[str, Handler]] = []
        self._matchers: list[tuple[TopicTest, Handler]] = []
        self._routes: dict[str, Route] = {}
        self._retained: dict[str, bytes] = {}
        self.published = 0

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> None:
        """Deliver ``payload`` to every matching subscription; keep it if ``retain``."""
        if qos not in QOS_LEVELS:
            raise ValueError(f"qos must be 0, 1 or 2, got {qos!r}")
        route = self._routes.get(topic)
        if route is None:
            route = self._route(topic)
        self.published += 1
        route.published += 1
        if retain:
            self._retain(topic, payload)
        for handler in route.handlers:
            handler(topic, payload)

    def subscribe(self, pattern: str, handler: Handler) -> None:
        """Add a subscription and deliver the retained messages that match it right away."""
        levels = check_filter(pattern)
        self._subscriptions.append((pattern, handler))
        self._matchers.append((filter_matcher(levels), handler))
        for topic, route in self._routes.items():
            route.handlers = self._handlers_of(topic)
        for topic, payload in list(self._retained.items()):
            if topic_matches(pattern, topic):
                handler(topic, payload)

    def retained(self, topic: str) -> bytes | None:
        """The retained payload of ``topic``, if any."""
        return self._retained.get(topic)

    def published_on(self, topic: str) -> int:
        """How many messages were published on exactly ``topic``."""
        route = self._routes.get(topic)
        return route.published if route is not None else 0

    def published_by_root(self, levels: int = 4) -> dict[str, int]:
        """Messages published per topic root: the first ``levels`` levels of each topic.

        With the default, roots are ``vt/v1/{tenant}/{device_type}``.
        """
        totals: dict[str, int] = {}
        for topic, route in self._routes.items():
            root = "/".join(topic.split("/")[:levels])
            totals[root] = totals.get(root, 0) + route.published
        return totals

    def _route(self, topic: str) -> Route:
        """Check a topic seen for the first time and keep the handlers that match it."""
        check_topic_name(topic)
        route = self._routes[topic] = Route(self._handlers_of(topic))
        return route

    def _handlers_of(self, topic: str) -> tuple[Handler, ...]:
        """The handlers whose filter matches ``topic``, in subscription order."""
        return tuple(h for matches, h in self._matchers if matches(topic))

    def _retain(self, topic: str, payload: bytes) -> None:
        """Keep ``payload`` as the topic's retained message; an empty payload clears it."""
        if payload:
            self._retained[topic] = payload
        else:
            self._retained.pop(topic, None)


def filter_matcher(levels: list[str]) -> TopicTest:
    """A test of topic names against the filter of ``levels``, as one compiled expression.

    Equivalent to :func:`devices.contract.topics.topic_matches` for topic names without wildcards,
    and
    much cheaper when each of many devices publishes on a topic of its own.
    """
    parts = ["[^/]*" if level == "+" else re.escape(level) for level in levels if level != "#"]
    expression = "/".join(parts)
    if levels[-1] == "#":
        expression = f"{expression}(?:/.*)?" if parts else ".*"
    if levels[0] in ("+", "#"):
        expression = r"(?!\$)" + expression
    return re.compile(expression, re.DOTALL).fullmatch
