"""Frozen records that the model's processes append; every metric is computed from these only.

A run appends millions of records, so each table stores them by column rather than as one
object per record: times as packed floats, labels (device kinds, places, shifts, …) as small
integer codes into a vocabulary, message ids as packed UTF-8. Processes add records by field
name, never by position: ``table.add(t_received=..., place=..., ...)`` (keywords only), or on a
hot path a fast adder whose fields were named when it was made (``table.adder(...)``). Either
keeps a plain tuple in field order; a table gathers a few hundred of them and then packs them
into its columns. Read
back, a table is a sequence of the named-tuple records below, and metrics read whole columns
as numpy arrays.
"""

from __future__ import annotations

import itertools
import re
import struct
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, Literal, NamedTuple, TypeAlias, TypeVar, overload

import numpy as np

from devices.contract.reception import PLACES as RECEPTION_PLACES

PLACES = RECEPTION_PLACES
"""Where a received message ends: it opened an incident, joined one, was a duplicate, was
rejected, or carried information only. Every message ends in exactly one of them."""


class MessageRecord(NamedTuple):
    """One message as the centre received it (*motta*)."""

    replication: int
    message_id: str
    device_id: str
    device_type: str
    event: str
    t_received: float
    place: str
    incident_id: int
    reason: str


class IncidentRecord(NamedTuple):
    """One incident from first message to documentation (times in simulated seconds)."""

    replication: int
    incident_id: int
    device_id: str
    device_type: str
    event: str
    user_profile: str
    zone: str
    priority: int
    messages: int
    t_received: float
    t_answered: float
    t_handled: float
    t_closed: float
    operator: str
    shift: str
    outcome: str
    state: str


class VisitRecord(NamedTuple):
    """One home-care visit dispatched by the centre (response time is alarm to arrival)."""

    replication: int
    incident_id: int
    zone: str
    priority: int
    t_alarm: float
    t_requested: float
    t_assigned: float
    t_arrived: float
    t_departed: float
    t_returned: float
    worker: str
    shift: str
    state: str


class StaffingRecord(NamedTuple):
    """One shift worked: who was on duty when (the denominator of utilisation)."""

    replication: int
    pool: str
    shift: str
    start: float
    end: float
    workers: int


class TelemetryRecord(NamedTuple):
    """Messages counted rather than simulated one by one (periodic telemetry, information)."""

    replication: int
    device_type: str
    event: str
    messages: int


ColumnKind: TypeAlias = Literal["float", "int", "label", "text"]
"""How a field is stored: packed floats, packed integers, a code into a vocabulary (values
that repeat, such as kinds, places, shifts, device ids), or packed UTF-8 (unique strings)."""

R = TypeVar("R", bound=tuple[Any, ...])

AddRecord: TypeAlias = Callable[..., None]
"""Adds one record to a table, every field given by name: ``add(replication=0, ...)``."""


def keyword_adder(record: type[tuple[Any, ...]], keep: Callable[[tuple[Any, ...]], None]
                  ) -> AddRecord:
    """A function that takes every field of ``record`` by name (keywords only, none left out,
    none unknown: a mistake raises :class:`TypeError` at the call) and passes ``keep`` the
    values as one plain tuple in field order.

    Generated from the record's field names (as :func:`collections.namedtuple` generates its
    constructor), so that a record is never built by position, and it costs one call: the
    cheapest way to keep a record by name.
    """
    fields: tuple[str, ...] = record._fields  # type: ignore[attr-defined]
    if not all(name.isidentifier() and not name.startswith("_") for name in fields):
        raise ValueError(f"{record.__name__} has fields that are not plain names: {fields}")
    names = ", ".join(fields)
    source = f"def add_{record.__name__}(*, {names}):\n    keep(({names},))\n"
    namespace: dict[str, Any] = {"keep": keep, "__name__": f"records.{record.__name__}"}
    exec(source, namespace)  # the names are the record's own identifiers, checked above
    add: AddRecord = namespace[f"add_{record.__name__}"]
    add.__doc__ = f"Add one {record.__name__}; every field by name: {names}."
    return add

CODE_TYPES = (("B", 2**8), ("H", 2**16), ("I", 2**32), ("Q", 2**64))
"""Typecodes for vocabulary codes, narrowest first, with how many values each can index."""


NAMED_VALUE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
"""What a fast adder may put in a field: a parameter or constant, or an attribute path of a
parameter (``incident.ident``, ``visit.incident.zone``)."""


def fast_adder(record: type[tuple[Any, ...]], keep: Callable[[tuple[Any, ...]], None],
               parameters: Sequence[str], constants: dict[str, Any] | None = None,
               source: str | None = None, **fields: str) -> Callable[..., None]:
    """A function of ``parameters`` (positional, for a hot path) that keeps one record whose
    every field is given by name, never by position.

    Each field of ``record`` is named once: in ``fields`` (``incident_id="incident.ident"``),
    in ``constants`` (fixed for the adder's life, such as the replication), as a parameter of
    the same name, or, failing those, as the same-named attribute of the parameter ``source``
    (``source="incident"`` puts ``incident.zone`` in ``zone``). An unknown or an unnamed field
    raises :class:`ValueError` when the adder is made, a missing attribute
    :class:`AttributeError` at its first call. The generated code keeps a plain tuple in field
    order, as cheap as writing the tuple by hand.
    """
    names: tuple[str, ...] = record._fields  # type: ignore[attr-defined]
    constants = constants or {}
    known = set(parameters) | set(constants)
    if not all(p.isidentifier() for p in (*parameters, *constants)):
        raise ValueError(f"parameters and constants must be plain names: {parameters}")
    unknown = (set(fields) | set(constants)).difference(names)
    if unknown:
        raise ValueError(f"{record.__name__} has no field {sorted(unknown)}; its fields are "
                         f"{names}")
    values = []
    for name in names:
        value = fields.get(name) or (name if name in known else None)
        if value is None and source is not None:
            value = f"{source}.{name}"
        if value is None:
            raise ValueError(f"{record.__name__}.{name} is not given to the adder")
        if not NAMED_VALUE.fullmatch(value) or value.split(".")[0] not in known:
            raise ValueError(f"{record.__name__}.{name} = {value!r}: not a parameter, a "
                             f"constant or an attribute of one")
        values.append(value)
    function = f"add_{record.__name__}"
    source_code = (f"def {function}({', '.join(parameters)}):\n"
                   f"    keep(({', '.join(values)},))\n")
    namespace: dict[str, Any] = {"keep": keep, **constants}
    exec(source_code, namespace)  # dotted names only, checked above
    add: Callable[..., None] = namespace[function]
    add.__doc__ = f"Add one {record.__name__} from {', '.join(parameters)}."
    return add


def append_packed(data: array[Any], values: Sequence[Any]) -> None:
    """Append ``values`` to a typed array, converted by :func:`struct.pack` in one C loop
    (about twice as fast as ``array(typecode, values)``, which parses each value as an
    argument)."""
    data.frombytes(struct.pack(f"{len(values)}{data.typecode}", *values))


class FloatColumn:
    """Floats packed as C doubles."""

    __slots__ = ("_data",)

    def __init__(self) -> None:
        self._data: array[Any] = array("d")

    def __len__(self) -> int:
        return len(self._data)

    def extend(self, values: Sequence[Any]) -> None:
        """Append values in order."""
        append_packed(self._data, values)

    def values(self) -> list[Any]:
        """Every value, in order."""
        return self._data.tolist()

    def value(self, index: int) -> Any:
        """The value at ``index``."""
        return self._data[index]

    def numpy(self) -> np.ndarray:
        """A copy of the column as a numpy array."""
        return np.array(self._data, dtype=np.float64)


class IntColumn(FloatColumn):
    """Integers packed as signed 64-bit."""

    __slots__ = ()

    def __init__(self) -> None:
        self._data = array("q")

    def numpy(self) -> np.ndarray:
        """A copy of the column as a numpy array."""
        return np.array(self._data, dtype=np.int64)


class LabelColumn:
    """Repeating values stored as codes into a vocabulary; the codes widen as it grows.

    The vocabulary lists values by the batch in which they first appeared.
    """

    __slots__ = ("_codes", "_index", "_limit", "_vocabulary")

    def __init__(self) -> None:
        self._vocabulary: list[Any] = []
        self._index: dict[Any, int] = {}
        typecode, self._limit = CODE_TYPES[0]
        self._codes = array(typecode)

    def __len__(self) -> int:
        return len(self._codes)

    def extend(self, values: Sequence[Any]) -> None:
        """Append values in order, adding new ones to the vocabulary."""
        first = values[0] if values else None
        if first in self._index and values.count(first) == len(values):
            # Common for constant or rarely varying fields: one lookup for the whole batch.
            self._codes += array(self._codes.typecode, [self._index[first]]) * len(values)
            return
        lookup = self._index.__getitem__
        try:
            codes = list(map(lookup, values))
        except KeyError:
            self._learn(values)
            codes = list(map(lookup, values))
        if self._codes.typecode == "B":
            self._codes.frombytes(bytes(codes))  # several times faster than array("B", codes)
        else:
            append_packed(self._codes, codes)

    def expect(self, values: Iterable[Any]) -> None:
        """Add values to the vocabulary ahead of their records (in the order given), such as
        every device of a fleet: a batch of records then finds them all known."""
        index, vocabulary = self._index, self._vocabulary
        for value in values:
            if value not in index:
                index[value] = len(vocabulary)
                vocabulary.append(value)
        self._widen()

    def _learn(self, values: Sequence[Any]) -> None:
        """Add the new values to the vocabulary: sorted within a batch (deterministic)."""
        index, vocabulary = self._index, self._vocabulary
        missing = set(values).difference(index)
        try:
            ordered = sorted(missing)
        except TypeError:  # values that do not sort: in order of first appearance
            ordered = [v for v in dict.fromkeys(values) if v in missing]
        for value in ordered:
            index[value] = len(vocabulary)
            vocabulary.append(value)
        self._widen()

    def _widen(self) -> None:
        """Switch to a wider code type once the vocabulary outgrows the current one."""
        if len(self._vocabulary) <= self._limit:
            return
        for typecode, limit in CODE_TYPES:
            if len(self._vocabulary) <= limit:
                self._codes, self._limit = array(typecode, self._codes), limit
                return

    def values(self) -> list[Any]:
        """Every value, in order."""
        return list(map(self._vocabulary.__getitem__, self._codes))

    def value(self, index: int) -> Any:
        """The value at ``index``."""
        return self._vocabulary[self._codes[index]]

    def codes(self) -> np.ndarray:
        """The codes as a numpy array (index into :meth:`vocabulary`)."""
        return np.array(self._codes, dtype=np.int64)

    def vocabulary(self) -> list[Any]:
        """The distinct values, in order of first appearance."""
        return list(self._vocabulary)

    def code(self, value: Any) -> int | None:
        """The code of ``value``, or None if it never occurred."""
        return self._index.get(value)

    def numpy(self) -> np.ndarray:
        """The values as a numpy array (object dtype for strings)."""
        vocabulary = np.empty(len(self._vocabulary), dtype=object)
        vocabulary[:] = self._vocabulary
        return np.asarray(vocabulary[self.codes()])


class TextColumn:
    """Strings that rarely repeat (message ids), packed as UTF-8 with end offsets."""

    __slots__ = ("_data", "_ends")

    def __init__(self) -> None:
        self._data = bytearray()
        self._ends = array("Q")

    def __len__(self) -> int:
        return len(self._ends)

    def extend(self, values: Sequence[str]) -> None:
        """Append strings in order."""
        encoded = list(map(str.encode, values))  # UTF-8, in one C loop
        start = len(self._data)
        self._data += b"".join(encoded)
        ends = itertools.accumulate(map(len, encoded), initial=start)
        next(ends)
        self._ends.extend(ends)

    def values(self) -> list[str]:
        """Every string, in order."""
        data, starts = self._data, itertools.chain((0,), self._ends)
        return [data[a:b].decode("utf-8") for a, b in zip(starts, self._ends, strict=False)]

    def value(self, index: int) -> str:
        """The string at ``index``."""
        start = self._ends[index - 1] if index > 0 else 0
        return self._data[start : self._ends[index]].decode("utf-8")

    def numpy(self) -> np.ndarray:
        """The strings as a numpy object array."""
        out = np.empty(len(self), dtype=object)
        out[:] = self.values()
        return out


Column: TypeAlias = FloatColumn | LabelColumn | TextColumn
COLUMN_CLASSES: dict[ColumnKind, type[FloatColumn] | type[LabelColumn] | type[TextColumn]] = {
    "float": FloatColumn, "int": IntColumn, "label": LabelColumn, "text": TextColumn,
}


class RecordTable(Generic[R]):
    """Records of one type, stored by column; reads back as a sequence of records.

    :attr:`add` takes every field by name (see :func:`keyword_adder`). Added rows wait in a
    list and are packed into the columns by :meth:`pack`: on every read, and whenever the owner
    of a long run calls it (a replication packs a table once a few hundred records wait). So
    adding a record is one call and a list append.
    """

    __slots__ = ("_columns", "_pending", "_record", "add")

    def __init__(self, record: type[R], kinds: dict[str, ColumnKind]) -> None:
        fields: tuple[str, ...] = record._fields  # type: ignore[attr-defined]
        if tuple(kinds) != fields:
            raise ValueError(f"column kinds {tuple(kinds)} do not match fields {fields}")
        self._record = record
        self._columns: dict[str, Column] = {
            name: COLUMN_CLASSES[kind]() for name, kind in kinds.items()
        }
        self._pending: list[tuple[Any, ...]] = []
        self.add: AddRecord = keyword_adder(record, self._pending.append)
        """Add one record, every field by name: ``add(replication=0, incident_id=1, ...)``."""

    def adder(self, parameters: Sequence[str], constants: dict[str, Any] | None = None,
              source: str | None = None, **fields: str) -> Callable[..., None]:
        """A fast adder for a hot path, every field named once (see :func:`fast_adder`)."""
        return fast_adder(self._record, self._pending.append, parameters, constants, source,
                          **fields)

    @property
    def fields(self) -> tuple[str, ...]:
        """Field names, in order."""
        return tuple(self._columns)

    def pack(self, at_least: int = 1) -> None:
        """Move the waiting rows into the columns, if there are at least ``at_least``."""
        pending = self._pending
        if len(pending) < at_least or not pending:
            return
        try:
            columns = list(zip(*pending, strict=True))
            if len(columns) != len(self._columns):
                raise ValueError(f"{len(columns)} fields")
        except ValueError as error:
            raise ValueError(
                f"every {self._record.__name__} needs the fields {self.fields}") from error
        for column, values in zip(self._columns.values(), columns, strict=True):
            column.extend(values)
        pending.clear()

    def column(self, name: str) -> Column:
        """One column, with every appended record in it."""
        self.pack()
        return self._columns[name]

    def columns(self) -> dict[str, list[Any]]:
        """Every column as a list of values, by field name."""
        self.pack()
        return {name: column.values() for name, column in self._columns.items()}

    def numpy(self, name: str) -> np.ndarray:
        """One column as a numpy array."""
        return np.asarray(self.column(name).numpy())

    def labels(self, name: str) -> tuple[np.ndarray, list[Any]]:
        """``(codes, vocabulary)`` of a label column."""
        column = self.column(name)
        if not isinstance(column, LabelColumn):
            raise TypeError(f"{name!r} is not a label column")
        return column.codes(), column.vocabulary()

    def equals(self, name: str, value: Any) -> np.ndarray:
        """A boolean mask: which records have ``value`` in label column ``name``."""
        column = self.column(name)
        if not isinstance(column, LabelColumn):
            raise TypeError(f"{name!r} is not a label column")
        code = column.code(value)
        if code is None:
            return np.zeros(len(column), dtype=bool)
        return np.asarray(column.codes() == code)

    def __len__(self) -> int:
        first = next(iter(self._columns.values()))
        return len(first) + len(self._pending)

    def __iter__(self) -> Iterator[R]:
        make = self._record._make  # type: ignore[attr-defined]
        return map(make, zip(*self.columns().values(), strict=True))

    @overload
    def __getitem__(self, index: int) -> R: ...

    @overload
    def __getitem__(self, index: slice) -> list[R]: ...

    def __getitem__(self, index: int | slice) -> R | list[R]:
        if isinstance(index, slice):
            return list(self)[index]
        self.pack()
        size = len(self)
        if not -size <= index < size:
            raise IndexError(f"record {index} of {size}")
        position = index % size
        values = (column.value(position) for column in self._columns.values())
        return self._record._make(values)  # type: ignore[attr-defined, no-any-return]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RecordTable | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RecordTable({self._record.__name__}, {len(self)} records)"

    def __getstate__(self) -> dict[str, Any]:
        self.pack()
        return {"record": self._record, "columns": self._columns}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._record = state["record"]
        self._columns = state["columns"]
        self._pending = []
        self.add = keyword_adder(self._record, self._pending.append)


MESSAGE_COLUMNS: dict[str, ColumnKind] = {
    "replication": "label", "message_id": "text", "device_id": "label", "device_type": "label",
    "event": "label", "t_received": "float", "place": "label", "incident_id": "int",
    "reason": "label",
}
INCIDENT_COLUMNS: dict[str, ColumnKind] = {
    "replication": "label", "incident_id": "int", "device_id": "label", "device_type": "label",
    "event": "label", "user_profile": "label", "zone": "label", "priority": "label",
    "messages": "int", "t_received": "float", "t_answered": "float", "t_handled": "float",
    "t_closed": "float", "operator": "label", "shift": "label", "outcome": "label",
    "state": "label",
}
VISIT_COLUMNS: dict[str, ColumnKind] = {
    "replication": "label", "incident_id": "int", "zone": "label", "priority": "label",
    "t_alarm": "float", "t_requested": "float", "t_assigned": "float", "t_arrived": "float",
    "t_departed": "float", "t_returned": "float", "worker": "label", "shift": "label",
    "state": "label",
}
STAFFING_COLUMNS: dict[str, ColumnKind] = {
    "replication": "label", "pool": "label", "shift": "label", "start": "float", "end": "float",
    "workers": "int",
}
TELEMETRY_COLUMNS: dict[str, ColumnKind] = {
    "replication": "label", "device_type": "label", "event": "label", "messages": "int",
}


class RunLog:
    """All records of one replication, appended as the simulation runs."""

    __slots__ = ("incidents", "messages", "staffing", "telemetry", "visits")

    def __init__(self) -> None:
        self.messages = RecordTable(MessageRecord, MESSAGE_COLUMNS)
        self.incidents = RecordTable(IncidentRecord, INCIDENT_COLUMNS)
        self.visits = RecordTable(VisitRecord, VISIT_COLUMNS)
        self.staffing = RecordTable(StaffingRecord, STAFFING_COLUMNS)
        self.telemetry = RecordTable(TelemetryRecord, TELEMETRY_COLUMNS)

    def expect_devices(self, device_ids: Iterable[str]) -> None:
        """Put the fleet's device ids in the vocabularies of the tables that name devices, in
        the fleet's order, before the run (a run would otherwise learn them batch by batch)."""
        ids = list(device_ids)
        for table in (self.messages, self.incidents):
            column = table.column("device_id")
            if isinstance(column, LabelColumn):
                column.expect(ids)

    def pack(self, at_least: int = 1) -> None:
        """Pack the waiting records of every table into columns (bounds a long run's memory);
        only tables with at least ``at_least`` waiting records (fewer calls, larger batches)."""
        for table in self.tables().values():
            table.pack(at_least)

    def tables(self) -> dict[str, RecordTable[Any]]:
        """The record tables by name, in a fixed order."""
        return {
            "messages": self.messages,
            "incidents": self.incidents,
            "visits": self.visits,
            "staffing": self.staffing,
            "telemetry": self.telemetry,
        }


TABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "messages": MessageRecord._fields,
    "incidents": IncidentRecord._fields,
    "visits": VisitRecord._fields,
    "staffing": StaffingRecord._fields,
    "telemetry": TelemetryRecord._fields,
}
