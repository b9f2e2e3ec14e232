"""Measured figures per month after go-live (*gevinstoppfølging*), read from a CSV file.

One row per calendar month; the columns (English or Norwegian header names, in any order):

- ``month`` (``måned``), YYYY-MM: the calendar month (required);
- ``visits`` (``besøk``), count: home-care visits made to the modelled users;
- ``hours`` (``timer``), h: home-care staff hours for those users;
- ``alarms`` (``alarmer``), count: alarms received by the response centre;
- ``answered_60s`` (``besvart_60s``), count: of those, answered within 60 s;
- ``costs`` (``kostnader``), NOK: running costs (device rent, licences, the centre's staffing).

An empty cell means "not measured". The separator is a comma, or a semicolon (as a Norwegian
spreadsheet saves CSV), in which case a decimal comma is accepted too. Every problem is reported
with the file, line and column, see :class:`MeasuredError`. docs/benefit.md, "Follow-up after
go-live", is the user's reference.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sim.errors import VtsimError

MEASURES = ("visits", "hours", "alarms", "answered_60s", "costs")
"""The measured figures, in the order of the documentation."""
HEADER_NAMES: dict[str, str] = {
    "month": "month", "måned": "month", "maned": "month", "mnd": "month",
    "visits": "visits", "besøk": "visits", "besok": "visits",
    "hours": "hours", "timer": "hours",
    "alarms": "alarms", "alarmer": "alarms",
    "answered_60s": "answered_60s", "besvart_60s": "answered_60s",
    "costs": "costs", "kostnader": "costs", "costs_nok": "costs", "kostnader_kr": "costs",
}
"""Accepted header names (lower case, surrounding spaces ignored) and the column they name."""
WHOLE = ("visits", "alarms", "answered_60s")
"""Columns that count things: whole numbers."""
MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})$")


class MeasuredError(VtsimError):
    """A measured-figures file that cannot be read; the message names line and column."""


@dataclass(frozen=True, slots=True)
class MeasuredMonth:
    """The figures measured in one calendar month (``None``: not measured)."""

    year: int
    month: int
    line: int
    visits: float | None = None
    hours: float | None = None
    alarms: float | None = None
    answered_60s: float | None = None
    costs: float | None = None

    @property
    def label(self) -> str:
        """``2026-03``."""
        return f"{self.year:04d}-{self.month:02d}"

    def value(self, measure: str) -> float | None:
        """One measured figure by name."""
        found: float | None = getattr(self, measure)
        return found


def read_measured(path: Path) -> list[MeasuredMonth]:
    """Every month of the file, in calendar order; :class:`MeasuredError` on any problem."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise MeasuredError(f"{path}: cannot read the measured figures ({exc}); save the file "
                            "as UTF-8 CSV") from None
    return parse_measured(raw, str(path))


def parse_measured(text: str, name: str) -> list[MeasuredMonth]:
    """The months of a CSV text (``name`` is used in the messages)."""
    text = text.removeprefix("\ufeff")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise MeasuredError(f"{name}: the file is empty; the first line must name the columns "
                            f"(month, {', '.join(MEASURES)})")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = [(number, row) for number, row in enumerate(reader, start=1)
            if any(cell.strip() for cell in row)]
    header_line, header = rows[0]
    columns = header_columns(header, name, header_line)
    months = [read_row(row, columns, name, number, delimiter) for number, row in rows[1:]]
    if not months:
        raise MeasuredError(f"{name}: no months after the header line")
    check_unique(months, name)
    return sorted(months, key=lambda m: (m.year, m.month))


def header_columns(header: list[str], name: str, line: int) -> list[str]:
    """The column each header cell names; unknown, repeated or missing columns are errors."""
    columns = []
    for position, cell in enumerate(header, start=1):
        column = HEADER_NAMES.get(cell.strip().lower())
        if column is None:
            known = ", ".join(f"{en} ({nb})" for en, nb in (
                ("month", "måned"), ("visits", "besøk"), ("hours", "timer"),
                ("alarms", "alarmer"), ("answered_60s", "besvart_60s"),
                ("costs", "kostnader")))
            raise MeasuredError(f"{name}, line {line}, column {position}: unknown column "
                                f"{cell.strip()!r}; known columns: {known}")
        if column in columns:
            raise MeasuredError(f"{name}, line {line}, column {position}: {cell.strip()!r} "
                                f"names the column {column!r} a second time")
        columns.append(column)
    if "month" not in columns:
        raise MeasuredError(f"{name}, line {line}: no month column; the first line must name "
                            "the columns, e.g. month,visits,hours,alarms,answered_60s,costs")
    if len(columns) == 1:
        raise MeasuredError(f"{name}, line {line}: only a month column; add at least one of "
                            f"{', '.join(MEASURES)}")
    return columns


def read_row(row: list[str], columns: list[str], name: str, line: int,
             delimiter: str) -> MeasuredMonth:
    """One month's figures."""
    if len(row) != len(columns):
        raise MeasuredError(f"{name}, line {line}: {len(row)} cells, but the header names "
                            f"{len(columns)} columns (separator {delimiter!r})")
    cells = dict(zip(columns, (c.strip() for c in row), strict=True))
    year, month = read_month(cells["month"], name, line)
    values = {measure: read_number(cells[measure], measure, name, line, delimiter)
              for measure in MEASURES if measure in cells}
    result = MeasuredMonth(year, month, line, **values)
    if (result.alarms is not None and result.answered_60s is not None
            and result.answered_60s > result.alarms):
        raise MeasuredError(f"{name}, line {line}, column 'answered_60s': "
                            f"{result.answered_60s:g} alarms answered within 60 s, more than "
                            f"the {result.alarms:g} alarms received")
    return result


def read_month(cell: str, name: str, line: int) -> tuple[int, int]:
    """``2026-03`` as (year, month)."""
    match = MONTH.match(cell)
    if not match or not 1 <= int(match["month"]) <= 12:
        raise MeasuredError(f"{name}, line {line}, column 'month': expected a month written "
                            f"YYYY-MM (e.g. 2026-03), found {cell!r}")
    return int(match["year"]), int(match["month"])


def read_number(cell: str, column: str, name: str, line: int,
                delimiter: str) -> float | None:
    """A figure: empty for not measured, else a number at least 0 (whole for counts)."""
    if not cell:
        return None
    text = cell.replace("\u00a0", "").replace(" ", "")
    if delimiter == ";":
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    kind = "a whole number" if column in WHOLE else "a number"
    if not math.isfinite(value) or value < 0 or (column in WHOLE and value != int(value)):
        raise MeasuredError(f"{name}, line {line}, column {column!r}: expected {kind} of at "
                            f"least 0, found {cell!r}")
    return value


def check_unique(months: list[MeasuredMonth], name: str) -> None:
    """Each month at most once."""
    first: dict[str, int] = {}
    for month in months:
        if month.label in first:
            raise MeasuredError(f"{name}, line {month.line}, column 'month': {month.label} is "
                                f"already on line {first[month.label]}")
        first[month.label] = month.line


def measured_columns(months: list[MeasuredMonth]) -> Iterator[str]:
    """The measures that have at least one value."""
    for measure in MEASURES:
        if any(m.value(measure) is not None for m in months):
            yield measure
