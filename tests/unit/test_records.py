"""Record tables stored by column read back exactly what was appended."""

from __future__ import annotations

import math
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.records import (
    INCIDENT_COLUMNS,
    MESSAGE_COLUMNS,
    IncidentRecord,
    MessageRecord,
    RecordTable,
    RunLog,
)

texts = st.text(max_size=12)
messages = st.builds(
    MessageRecord,
    replication=st.integers(0, 3),
    message_id=texts,
    device_id=st.sampled_from(["sa-0001", "sa-0002", "lock-0001"]),
    device_type=st.sampled_from(["safety_alarm", "e_lock"]),
    event=texts,
    t_received=st.floats(allow_nan=True, allow_infinity=False),
    place=st.sampled_from(["incident", "correlated", "duplicate", "rejected", "info"]),
    incident_id=st.integers(-1, 2**40),
    reason=st.sampled_from(["", "not_json", "schema"]),
)


def same(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    """Equal field by field, NaN equal to NaN."""
    return all(x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y))  # type: ignore[arg-type]
               for x, y in zip(a, b, strict=True))


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(messages, max_size=40), packs=st.lists(st.integers(0, 40), max_size=4),
       at_least=st.integers(1, 8))
def test_messages_read_back_in_order_whenever_they_are_packed(
        rows: list[MessageRecord], packs: list[int], at_least: int) -> None:
    table = RecordTable(MessageRecord, MESSAGE_COLUMNS)
    for index, row in enumerate(rows):
        table.append(tuple(row))
        if index in packs:
            table.pack(at_least)
    assert len(table) == len(rows)
    back = list(table)
    assert all(isinstance(r, MessageRecord) for r in back)
    assert all(same(a, b) for a, b in zip(back, rows, strict=True))
    if rows:
        assert same(table[-1], rows[-1]) and same(table[0], rows[0])


def test_a_table_packs_only_once_enough_records_wait() -> None:
    table = RecordTable(MessageRecord, MESSAGE_COLUMNS)
    rows = [(0, f"m{i}", "sa-0001", "safety_alarm", "fall", float(i), "incident", i, "")
            for i in range(5)]
    table.extend(rows[:4])
    table.pack(at_least=5)
    assert len(table._pending) == 4
    table.append(rows[4])
    table.pack(at_least=5)
    assert table._pending == []
    assert [r.message_id for r in table] == [f"m{i}" for i in range(5)]


def test_label_codes_widen_past_256_values() -> None:
    table = RecordTable(MessageRecord, MESSAGE_COLUMNS)
    ids = [f"sa-{i:05d}" for i in range(70_000)]
    for i, device in enumerate(ids):
        table.append((0, f"m{i}", device, "safety_alarm", "button_need", float(i), "incident",
                      i, ""))
        if i % 9_000 == 0:
            table.pack()
    assert [r.device_id for r in table] == ids
    codes, vocabulary = table.labels("device_id")
    assert codes.max() == len(vocabulary) - 1 == 69_999


def test_columns_as_numpy_and_masks() -> None:
    table = RecordTable(MessageRecord, MESSAGE_COLUMNS)
    for place, t in (("incident", 1.0), ("info", 2.5), ("incident", 4.0)):
        table.append((0, "m", "d", "k", "e", t, place, -1, ""))
    assert table.numpy("t_received").tolist() == [1.0, 2.5, 4.0]
    assert table.equals("place", "incident").tolist() == [True, False, True]
    assert table.equals("place", "never seen").tolist() == [False, False, False]
    with pytest.raises(TypeError):
        table.equals("t_received", 1.0)


def test_a_row_of_the_wrong_width_is_refused() -> None:
    table = RecordTable(MessageRecord, MESSAGE_COLUMNS)
    table.append((0, "m", "d"))
    with pytest.raises(ValueError, match="needs the fields"):
        table.pack()


def test_run_log_survives_pickling_and_keeps_appending() -> None:
    log = RunLog()
    row = IncidentRecord(0, 1, "sa-0001", "safety_alarm", "button_need", "p", "z", 2, 1, 10.0,
                         12.0, 100.0, float("nan"), "op-1", "day", "home_visit", "in_progress")
    log.incidents.append(row)
    copy = pickle.loads(pickle.dumps(log))
    copy.incidents.append(row._replace(incident_id=2))
    assert [r.incident_id for r in copy.incidents] == [1, 2]
    assert same(copy.incidents[0], row)
    assert len(log.incidents) == 1


def test_empty_table_and_mismatched_columns() -> None:
    empty = RecordTable(IncidentRecord, INCIDENT_COLUMNS)
    assert len(empty) == 0 and list(empty) == [] and empty == []
    assert empty.numpy("t_closed").size == 0 and empty.labels("state")[0].size == 0
    with pytest.raises(ValueError, match="do not match"):
        RecordTable(IncidentRecord, MESSAGE_COLUMNS)
