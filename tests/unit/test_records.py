"""Record tables stored by column read back exactly what was appended."""

from __future__ import annotations

import ast
import math
import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.centre import incident_adder, message_adder
from sim.model.records import (
    INCIDENT_COLUMNS,
    MESSAGE_COLUMNS,
    STAFFING_COLUMNS,
    IncidentRecord,
    MessageRecord,
    RecordTable,
    RunLog,
    StaffingRecord,
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


ROOT = Path(__file__).resolve().parents[2]


def message(**fields: Any) -> dict[str, Any]:
    """The fields of a message record: a received alarm, with ``fields`` changed."""
    return {"replication": 0, "message_id": "m", "device_id": "sa-0001",
            "device_type": "safety_alarm", "event": "button_need", "t_received": 0.0,
            "place": "incident", "incident_id": -1, "reason": ""} | fields


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
        table.add(**row._asdict())
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
    rows = [message(message_id=f"m{i}", t_received=float(i), incident_id=i) for i in range(5)]
    for row in rows[:4]:
        table.add(**row)
    table.pack(at_least=5)
    assert len(table._pending) == 4
    table.add(**rows[4])
    table.pack(at_least=5)
    assert table._pending == []
    assert [r.message_id for r in table] == [f"m{i}" for i in range(5)]


def test_label_codes_widen_past_256_values() -> None:
    table = RecordTable(MessageRecord, MESSAGE_COLUMNS)
    ids = [f"sa-{i:05d}" for i in range(70_000)]
    for i, device in enumerate(ids):
        table.add(**message(message_id=f"m{i}", device_id=device, t_received=float(i),
                            incident_id=i))
        if i % 9_000 == 0:
            table.pack()
    assert [r.device_id for r in table] == ids
    codes, vocabulary = table.labels("device_id")
    assert codes.max() == len(vocabulary) - 1 == 69_999


def test_columns_as_numpy_and_masks() -> None:
    table = RecordTable(MessageRecord, MESSAGE_COLUMNS)
    for place, t in (("incident", 1.0), ("info", 2.5), ("incident", 4.0)):
        table.add(**message(t_received=t, place=place))
    assert table.numpy("t_received").tolist() == [1.0, 2.5, 4.0]
    assert table.equals("place", "incident").tolist() == [True, False, True]
    assert table.equals("place", "never seen").tolist() == [False, False, False]
    with pytest.raises(TypeError):
        table.equals("t_received", 1.0)


def test_a_record_is_added_by_field_name_in_any_order() -> None:
    table = RecordTable(MessageRecord, MESSAGE_COLUMNS)
    fields = message(message_id="m1", device_id="sa-0001", device_type="safety_alarm")
    table.add(**fields)
    table.add(**dict(reversed(fields.items())))
    assert table[0] == table[1] == MessageRecord(**fields)


def test_fields_given_by_position_are_refused_at_the_call() -> None:
    """The mistake named records prevent: two fields swapped in a positional row. A table
    takes no positional row at all, so such a row fails where it is written, not an hour of
    simulated time later (when the table packs) or never (when the swapped fields have the
    same type, such as two times or two labels)."""
    table = RecordTable(IncidentRecord, INCIDENT_COLUMNS)
    swapped = (0, 1, "sa-0001", "safety_alarm", "button_need", "p", "z", 2, 1, 10.0,
               100.0, 12.0, float("nan"), "op-1", "day", "home_visit", "in_progress")
    with pytest.raises(TypeError, match="positional"):
        table.add(*swapped)
    assert not hasattr(table, "append") and not hasattr(table, "extend")
    assert len(table) == 0


def test_a_missing_or_unknown_field_is_refused_at_the_call() -> None:
    table = RecordTable(MessageRecord, MESSAGE_COLUMNS)
    fields = message()
    del fields["reason"]
    with pytest.raises(TypeError, match="reason"):
        table.add(**fields)
    with pytest.raises(TypeError, match="t_recieved"):
        table.add(**message(), t_recieved=1.0)
    assert len(table) == 0


def adds_a_record(call: ast.Call) -> bool:
    """Whether a call adds a record through a table's general constructor:
    ``log.<table>.add(...)`` or the centre's ``_add_message``/``_note``."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in ("_add_message", "_note"):
        return True
    return (func.attr == "add" and isinstance(func.value, ast.Attribute)
            and func.value.attr in RunLog.__slots__)


def test_the_model_adds_records_by_name_only() -> None:
    """Every call in the model that adds a record through a table's constructor passes
    keywords only (the tables refuse anything else at run time; this also finds a positional
    call on a path no test runs). The hot paths use fast adders, whose fields are named when
    they are made (tested below)."""
    found, offences = 0, []
    for path in sorted((ROOT / "sim").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and adds_a_record(node):
                found += 1
                if node.args:
                    offences.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found >= 5
    assert offences == []


class Found:
    """A stand-in with attributes, as the centre's incidents and messages have."""

    def __init__(self, **attributes: Any) -> None:
        self.__dict__.update(attributes)


def test_a_fast_adder_puts_each_named_value_in_its_field() -> None:
    table = RecordTable(MessageRecord, MESSAGE_COLUMNS)
    add = table.adder(("message", "incident", "t_received"),
                      {"replication": 3, "place": "correlated", "reason": ""},
                      message_id="message.message_id", device_id="incident.device_id",
                      device_type="message.device_type", event="message.event",
                      incident_id="incident.ident")
    message_ = Found(message_id="sa-0001-00000007", device_type="safety_alarm",
                     event="fall_detected")
    incident = Found(ident=12, device_id="sa-0001")
    add(message_, incident, 99.5)
    assert table[0] == MessageRecord(
        replication=3, message_id="sa-0001-00000007", device_id="sa-0001",
        device_type="safety_alarm", event="fall_detected", t_received=99.5,
        place="correlated", incident_id=12, reason="")


def test_a_fast_adder_takes_same_named_attributes_of_its_source() -> None:
    table = RecordTable(StaffingRecord, STAFFING_COLUMNS)
    add = table.adder(("instance",), {"replication": 0}, source="instance",
                      pool="instance.name", workers="instance.count")
    add(Found(name="operators", shift="day", start=7.0, end=15.0, count=2))
    assert table[0] == StaffingRecord(replication=0, pool="operators", shift="day", start=7.0,
                                      end=15.0, workers=2)


@pytest.mark.parametrize(("arguments", "error"), [
    ({"pool": "instance.name"}, "workers.*not given"),
    ({"pool": "instance.name", "workers": "instance.count", "crew": "instance.count"},
     "no field.*crew"),
    ({"pool": "instance.name", "workers": "len(instance)"}, "not a parameter"),
    ({"pool": "other.name", "workers": "instance.count"}, "not a parameter"),
])
def test_a_fast_adder_with_a_field_unnamed_or_misnamed_is_refused_when_made(
        arguments: dict[str, str], error: str) -> None:
    table = RecordTable(StaffingRecord, STAFFING_COLUMNS)
    with pytest.raises(ValueError, match=error):
        table.adder(("instance", "shift", "start", "end"), {"replication": 0}, **arguments)


def test_the_centres_adders_fail_at_once_when_their_arguments_are_swapped() -> None:
    """The centre passes its adders objects, not loose values: swapping two of them fails at
    the call, because neither has the other's fields."""
    log = RunLog()
    opening = message_adder(log, 0, "incident")
    message_ = Found(message_id="m", device_type="safety_alarm", event="fall_detected")
    incident = Found(ident=1, device_id="sa-0001")
    with pytest.raises(AttributeError):
        opening(incident, message_, 10.0)  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        incident_adder(log, 0)("closed", incident)  # type: ignore[arg-type]
    assert len(log.messages) == len(log.incidents) == 0


def test_run_log_survives_pickling_and_keeps_appending() -> None:
    log = RunLog()
    row = IncidentRecord(
        replication=0, incident_id=1, device_id="sa-0001", device_type="safety_alarm",
        event="button_need", user_profile="p", zone="z", priority=2, messages=1,
        t_received=10.0, t_answered=12.0, t_handled=100.0, t_closed=float("nan"),
        operator="op-1", shift="day", outcome="home_visit", state="in_progress")
    log.incidents.add(**row._asdict())
    copy = pickle.loads(pickle.dumps(log))
    copy.incidents.add(**row._replace(incident_id=2)._asdict())
    assert [r.incident_id for r in copy.incidents] == [1, 2]
    assert same(copy.incidents[0], row)
    assert len(log.incidents) == 1


def test_empty_table_and_mismatched_columns() -> None:
    empty = RecordTable(IncidentRecord, INCIDENT_COLUMNS)
    assert len(empty) == 0 and list(empty) == [] and empty == []
    assert empty.numpy("t_closed").size == 0 and empty.labels("state")[0].size == 0
    with pytest.raises(ValueError, match="do not match"):
        RecordTable(IncidentRecord, MESSAGE_COLUMNS)
