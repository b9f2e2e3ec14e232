"""The in-process transport routes every topic exactly as MQTT topic-filter matching says."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from devices.contract.errors import InvalidTopic
from devices.contract.topics import check_filter, topic_matches
from devices.transport.base import Handler, InProcessTransport, filter_matcher

TOPIC_LEVELS = st.sampled_from(["a", "b", "$SYS", "", "a.b", "x\ny", "vt", "events"])
FILTER_LEVELS = st.one_of(TOPIC_LEVELS, st.sampled_from(["+", "#"]))


def noting(reached: list[int], index: int) -> Handler:
    """A handler that notes ``index`` in ``reached`` for every message it gets."""
    def handle(_topic: str, _payload: bytes) -> None:
        reached.append(index)
    return handle


def valid(pattern: str) -> bool:
    try:
        check_filter(pattern)
    except InvalidTopic:
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(st.lists(FILTER_LEVELS, min_size=1, max_size=4).map("/".join).filter(valid),
       st.lists(TOPIC_LEVELS, min_size=1, max_size=5).map("/".join).filter(bool))
def test_filter_matcher_agrees_with_topic_matching(pattern: str, topic: str) -> None:
    assert bool(filter_matcher(check_filter(pattern))(topic)) == topic_matches(pattern, topic)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(FILTER_LEVELS, min_size=1, max_size=4).map("/".join).filter(valid),
                min_size=1, max_size=4),
       st.lists(TOPIC_LEVELS, min_size=1, max_size=5).map("/".join).filter(bool))
def test_publish_reaches_the_matching_subscriptions_in_order(patterns: list[str],
                                                             topic: str) -> None:
    transport = InProcessTransport()
    reached: list[int] = []
    for index, pattern in enumerate(patterns):
        transport.subscribe(pattern, noting(reached, index))
    transport.publish(topic, b"x")
    transport.publish(topic, b"y")  # the second publish takes the cached route
    expected = [i for i, pattern in enumerate(patterns) if topic_matches(pattern, topic)]
    assert reached == expected * 2
