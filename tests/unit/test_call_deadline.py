"""The deadline on a store connection's calls: an overdue call is cancelled, then severed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from vtsim.live.call_deadline import CANCEL_WAIT_S, CallDeadline, SocketLine


class FakeCall:
    """A call on a connection that hangs until it is cancelled (if ``cancel_works``) or its
    connection is severed; records what the deadline did and when."""

    def __init__(self, cancel_works: bool) -> None:
        self.cancel_works = cancel_works
        self.came_back = threading.Event()
        self.cancelled_at: float | None = None
        self.severed_at: float | None = None

    def cancel(self, timeout_s: float) -> None:
        assert timeout_s == CANCEL_WAIT_S
        self.cancelled_at = time.monotonic()
        if self.cancel_works:
            self.came_back.set()

    def sever(self) -> None:
        self.severed_at = time.monotonic()
        self.came_back.set()

    def run(self, deadline: CallDeadline, hang_s: float) -> float:
        """Arm, hang until released or ``hang_s`` passed, disarm; how long it took."""
        started = time.monotonic()
        deadline.arm()
        try:
            self.came_back.wait(hang_s)
        finally:
            deadline.disarm()
        return time.monotonic() - started


def test_an_overdue_call_is_cancelled_then_its_connection_severed() -> None:
    call = FakeCall(cancel_works=False)
    deadline = CallDeadline(0.4, call.cancel, call.sever)
    try:
        took = call.run(deadline, hang_s=10.0)
    finally:
        deadline.close()
    assert call.cancelled_at is not None and call.severed_at is not None
    assert call.severed_at - call.cancelled_at >= CANCEL_WAIT_S * 0.9  # the cancel had its time
    assert 0.4 + CANCEL_WAIT_S <= took < 0.4 + CANCEL_WAIT_S + 0.5, took
    assert deadline.fired


def test_a_cancel_that_brings_the_call_back_is_enough() -> None:
    call = FakeCall(cancel_works=True)
    deadline = CallDeadline(0.4, call.cancel, call.sever)
    try:
        took = call.run(deadline, hang_s=10.0)
        time.sleep(CANCEL_WAIT_S + 0.2)
    finally:
        deadline.close()
    assert call.cancelled_at is not None and call.severed_at is None
    assert 0.4 <= took < 0.8, took
    assert deadline.fired


def test_calls_that_come_back_in_time_are_left_alone_and_cost_little() -> None:
    call = FakeCall(cancel_works=False)
    deadline = CallDeadline(0.3, call.cancel, call.sever)
    try:
        for _ in range(5):  # five calls of 0.2 s: 1 s in all, each within the deadline
            call.run(deadline, hang_s=0.2)
        started = time.perf_counter()
        for _ in range(100_000):
            deadline.arm()
            deadline.disarm()
        per_call_s = (time.perf_counter() - started) / 100_000
    finally:
        deadline.close()
    assert call.cancelled_at is None and call.severed_at is None and not deadline.fired
    assert per_call_s < 5e-6, per_call_s


def test_nothing_is_severed_once_closed_and_the_release_runs_once() -> None:
    call = FakeCall(cancel_works=False)
    released: list[int] = []
    deadline = CallDeadline(0.2, call.cancel, call.sever, lambda: released.append(1))
    deadline.arm()
    deadline.close()
    deadline.close()
    time.sleep(0.5)
    assert call.cancelled_at is None and call.severed_at is None
    assert released == [1]


def test_a_deadline_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        CallDeadline(0.0, lambda _: None, lambda: None)


def test_severing_the_line_ends_a_read_blocked_on_the_connection() -> None:
    ours, theirs = socket.socketpair()  # theirs: a peer that never answers
    line = SocketLine(ours.fileno())
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(ours.recv(10)))
    reader.start()
    time.sleep(0.2)
    assert reader.is_alive()
    line.sever()
    reader.join(2.0)
    assert not reader.is_alive() and got == [b""]
    line.close()
    ours.close()
    theirs.close()


def test_the_centre_adds_a_connect_timeout_keepalives_and_a_user_timeout_unless_set() -> None:
    pytest.importorskip("psycopg")
    from vtsim.live.store import postgresql_parameters

    assert postgresql_parameters("postgresql://centre@db.example.org/centre", 20.0) == {
        "connect_timeout": "10", "keepalives": "1", "keepalives_idle": "10",
        "keepalives_interval": "5", "keepalives_count": "3", "tcp_user_timeout": "20000"}
    own = postgresql_parameters("postgresql://centre@db.example.org/centre?keepalives_idle=60"
                                "&tcp_user_timeout=9000&connect_timeout=30", 3.0)
    assert own == {"keepalives": "1", "keepalives_interval": "5", "keepalives_count": "3"}
    assert postgresql_parameters("host=db dbname=centre", 1.0)["connect_timeout"] == "2"


@pytest.mark.parametrize("deadline", [0.0, -1.0, float("nan"), float("inf"), 3601.0])
def test_a_store_refuses_a_deadline_that_is_no_deadline(deadline: float) -> None:
    from vtsim.live.store import CentreStoreError, open_store

    with pytest.raises(CentreStoreError, match="store deadline"):
        open_store("memory:", deadline)


@pytest.mark.parametrize("value", ["0", "inf", "nan", "3601", "soon"])
def test_vtsim_centre_refuses_a_bad_store_deadline_before_it_connects(value: str) -> None:
    result = subprocess.run([sys.executable, "-m", "vtsim", "centre", "--db", "memory:",
                             "--broker", "mqtt://127.0.0.1:1", "--store-deadline", value],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "COLUMNS": "100"})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "--store-deadline" in result.stderr and "Traceback" not in result.stderr
