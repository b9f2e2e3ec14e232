"""The benefit report as PDF (fpdf2): the same text, charts (PNG) and tables as the HTML.

The font is DejaVu Sans from matplotlib's own files, so Norwegian letters and symbols print
without any system font.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

from reports.benefit.charts import build_charts, close_charts, to_png
from reports.benefit.tables import Table, build_tables
from reports.i18n import text

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVu"


def write_pdf(document: dict[str, Any], lang: str, path: Path) -> None:
    """Write the PDF."""
    pdf = FPDF(format="A4")
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    write_intro(pdf, document, lang)
    charts = build_charts(document, lang)
    try:
        for chart in charts:
            heading(pdf, chart.title, 11)
            pdf.image(to_png(chart), w=pdf.epw)
            pdf.ln(4)
    finally:
        close_charts(charts)
    for table in build_tables(document, lang):
        write_table(pdf, table)
    pdf.output(str(path))


def heading(pdf: FPDF, title: str, size: int) -> None:
    """A bold heading line."""
    pdf.set_font(FONT, "B", size)
    pdf.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)


def write_intro(pdf: FPDF, document: dict[str, Any], lang: str) -> None:
    """Title and explanation."""
    heading(pdf, text(lang, "title"), 15)
    pdf.set_font(FONT, "", 10)
    for key in ("intro", "gain_kinds", "note_baseline"):
        pdf.multi_cell(0, 5, text(lang, key), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.multi_cell(0, 5, document["scenario"]["name"], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def write_table(pdf: FPDF, table: Table) -> None:
    """A table with a header row; the first column is wider."""
    heading(pdf, table.title, 11)
    pdf.set_font(FONT, "", 8)
    first = 0.4 if len(table.columns) > 2 else 0.5
    rest = (1 - first) / max(1, len(table.columns) - 1)
    widths = [first] + [rest] * (len(table.columns) - 1)
    with pdf.table(col_widths=widths, width=pdf.epw, text_align="LEFT",
                   headings_style=FontFace(emphasis="BOLD"), line_height=4.5) as grid:
        header = grid.row()
        for column in table.columns:
            header.cell(column)
        for cells in table.rows:
            row = grid.row()
            for cell in cells:
                row.cell(cell.text, align="RIGHT" if cell.is_figure else "LEFT")
    pdf.ln(4)
