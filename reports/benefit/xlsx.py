"""The benefit report as a spreadsheet an economist can continue in.

First the cost–benefit model with live formulas (:mod:`reports.benefit.workbook_model`: an
assumptions sheet of numbers, the simulated figures, the cash flow and the net present values
computed from them). Then one sheet per table of the report: figure cells hold the number from
``metrics.json`` (to the 15 significant digits a spreadsheet keeps) with a number format; the
last sheet lists every figure cell with its place in ``metrics.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from reports.benefit.tables import Cell, Table, build_tables
from reports.benefit.workbook_model import write_model
from reports.i18n import TEXT

FIGURES_SHEET = "figures"
"""The last sheet's identifier; its name is :func:`sheet_name` of it."""
FORMATS = {"NOK": "#,##0", "NOK/yr": "#,##0", "share": "0.0%", "h/yr": "#,##0",
           "1/yr": "#,##0", "yr": "0.00"}
DEFAULT_FORMAT = "#,##0.0"


def write_xlsx(document: dict[str, Any], lang: str, path: Path) -> None:
    """Write the workbook."""
    book = Workbook()
    book.remove(book.active)
    if document.get("economics"):
        write_model(book, document, lang)
    sources: list[tuple[str, str, str]] = []
    for table in build_tables(document, lang):
        if table.ident != "assumptions" or not document.get("economics"):
            write_sheet(book, table, sources, lang)
    sheet = book.create_sheet(sheet_name(FIGURES_SHEET, lang))
    sheet.append(["sheet", "cell", "ref"])
    for row in sources:
        sheet.append(list(row))
    book.save(path)


def sheet_name(ident: str, lang: str) -> str:
    """A table's sheet name in the report's language (its identifier where none is given)."""
    return TEXT[lang].get(f"sheet_{ident}", ident)[:31]


def write_sheet(book: Workbook, table: Table, sources: list[tuple[str, str, str]],
                lang: str = "en") -> None:
    """One table as one sheet: title, header, rows."""
    sheet = book.create_sheet(sheet_name(table.ident, lang))
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(list(table.columns))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for r, row in enumerate(table.rows, start=3):
        for c, cell in enumerate(row, start=1):
            put(sheet, r, c, cell, sources)
    for c in range(1, len(table.columns) + 1):
        sheet.column_dimensions[get_column_letter(c)].width = 44 if c == 1 else 18


def excel_number(value: float | None) -> float | None:
    """The value to 15 significant digits, the precision a spreadsheet keeps."""
    return None if value is None else float(f"{value:.15g}")


def put(sheet: Any, row: int, column: int, cell: Cell,
        sources: list[tuple[str, str, str]]) -> None:
    """Write a cell: the number for a figure (and note its source), else the text."""
    target = sheet.cell(row=row, column=column)
    if not cell.is_figure:
        target.value = cell.text
        return
    target.value = excel_number(cell.value)
    target.number_format = FORMATS.get(cell.unit, DEFAULT_FORMAT)
    sources.append((sheet.title, target.coordinate, cell.ref_text))
