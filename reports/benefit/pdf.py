"""The benefit report as PDF (fpdf2): the same summary, tables and charts (PNG) as the HTML.

Page one is the summary for the council; each chart follows the table it is drawn from; the
appendix holds the details and every assumption. The font is DejaVu Sans from matplotlib's own
files, so Norwegian letters and symbols print without any system font.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

from reports.benefit.charts import build_charts, close_charts, to_png
from reports.benefit.html import APPENDIX
from reports.benefit.summary import page_one
from reports.benefit.tables import Table, build_tables
from reports.i18n import text

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVu"
CHART_WIDTH = 0.9
"""Share of the text width a chart takes."""
WIDE = 6
"""Tables with more columns than this print in a smaller font."""


def write_pdf(document: dict[str, Any], lang: str, path: Path) -> None:
    """Write the PDF."""
    pdf = FPDF(format="A4")
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=15)
    tables = build_tables(document, lang)
    pdf.add_page()
    write_page_one(pdf, document, lang, tables)
    charts = build_charts(document, lang, tables)
    try:
        images = {c.table: (c.title, to_png(c)) for c in charts}
    finally:
        close_charts(charts)
    pdf.add_page()
    heading(pdf, text(lang, "results"), 14)
    for table in (t for t in tables if t.ident not in APPENDIX):
        write_table(pdf, table)
        write_image(pdf, images.get(table.ident))
    pdf.add_page()
    heading(pdf, text(lang, "appendix"), 14)
    for table in (t for t in tables if t.ident in APPENDIX):
        write_table(pdf, table)
        write_image(pdf, images.get(table.ident))
    pdf.output(str(path))


def heading(pdf: FPDF, title: str, size: int) -> None:
    """A bold heading line."""
    pdf.set_font(FONT, "B", size)
    pdf.multi_cell(0, size * 0.5 + 1, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)


def write_page_one(pdf: FPDF, document: dict[str, Any], lang: str,
                   tables: list[Table]) -> None:
    """Title and the summary for the council."""
    heading(pdf, text(lang, "title"), 15)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(0, 5, document["scenario"]["name"], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    heading(pdf, text(lang, "page_one"), 13)
    for section in page_one(document, lang, tables):
        heading(pdf, section.heading, 11)
        pdf.set_font(FONT, "", 9.5)
        for paragraph in section.paragraphs:
            pdf.multi_cell(0, 4.6, paragraph, new_x="LMARGIN", new_y="NEXT", align="L")
            pdf.ln(1.2)


def write_image(pdf: FPDF, image: tuple[str, bytes] | None) -> None:
    """A chart with its title, on a new page when it would not fit."""
    if image is None:
        return
    title, png = image
    width = pdf.epw * CHART_WIDTH
    pixels_wide, pixels_high = struct.unpack(">II", png[16:24])
    height = width * pixels_high / pixels_wide
    if pdf.will_page_break(height + 8):
        pdf.add_page()
    heading(pdf, title, 10)
    pdf.image(png, w=width)
    pdf.ln(4)


def write_table(pdf: FPDF, table: Table) -> None:
    """A table with a header row and its note; the first column is wider."""
    if pdf.will_page_break(30):
        pdf.add_page()
    heading(pdf, table.title, 11)
    wide = len(table.columns) > WIDE
    pdf.set_font(FONT, "", 6.5 if wide else 8)
    first = 0.22 if wide else 0.4 if len(table.columns) > 2 else 0.5
    if table.ident == "assumptions":
        widths = [0.34, 0.16, 0.1, 0.4]
    else:
        rest = (1 - first) / max(1, len(table.columns) - 1)
        widths = [first] + [rest] * (len(table.columns) - 1)
    with pdf.table(col_widths=widths, width=pdf.epw, text_align="LEFT",
                   headings_style=FontFace(emphasis="BOLD"), line_height=3.6 if wide else 4.3
                   ) as grid:
        header = grid.row()
        for column in table.columns:
            header.cell(column)
        for cells in table.rows:
            row = grid.row()
            for cell in cells:
                row.cell(cell.text, align="RIGHT" if cell.is_figure else "LEFT")
    if table.note:
        pdf.set_font(FONT, "", 7.5)
        pdf.multi_cell(0, 3.6, table.note, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
