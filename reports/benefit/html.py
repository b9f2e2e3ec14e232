"""The benefit report as one self-contained HTML file: inline CSS and SVG, no scripts or fonts.

Every figure cell carries ``data-key``, ``data-year``, ``data-stat`` and ``data-value`` (the
exact number from ``metrics.json``), so readers and tests can trace it.
"""

from __future__ import annotations

import html
from typing import Any

from reports.benefit.charts import build_charts, close_charts, to_svg
from reports.benefit.tables import Cell, Table, build_tables
from reports.i18n import text

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:2rem auto;
max-width:60rem;color:#1a1a1a;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:0.5rem 0 1.5rem;font-size:0.9rem}
th,td{border:1px solid #ddd;padding:0.25rem 0.5rem;vertical-align:top}
th{background:#f2f4f7;text-align:left}td.num{text-align:right;white-space:nowrap}
figure{margin:1rem 0 2rem}figcaption{font-weight:600;margin-bottom:0.3rem}
figure svg{max-width:100%;height:auto}.note{color:#555;font-size:0.9rem}
"""


def render_html(document: dict[str, Any], lang: str) -> str:
    """The whole report page."""
    tables = build_tables(document, lang)
    charts = build_charts(document, lang)
    try:
        figures = "\n".join(
            f'<figure class="chart" id="chart-{c.ident}"><figcaption>{html.escape(c.title)}'
            f"</figcaption>\n{to_svg(c)}</figure>" for c in charts)
    finally:
        close_charts(charts)
    body = "\n".join(render_table(t) for t in tables)
    title = html.escape(text(lang, "title"))
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}: {html.escape(document['scenario']['name'])}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
        f"<p>{html.escape(document['scenario']['name'])}</p>\n"
        f"<p>{html.escape(text(lang, 'intro'))}</p>\n"
        f"<p>{html.escape(text(lang, 'gain_kinds'))}</p>\n"
        f'<p class="note">{html.escape(text(lang, "note_baseline"))}</p>\n'
        f"<h2>{html.escape(text(lang, 'charts'))}</h2>\n{figures}\n"
        f"<h2>{html.escape(text(lang, 'tables'))}</h2>\n{body}\n</body>\n</html>\n"
    )


def render_table(table: Table) -> str:
    """One table with its caption."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    rows = "\n".join("<tr>" + "".join(render_cell(c) for c in row) + "</tr>"
                     for row in table.rows)
    return (f'<section id="table-{table.ident}"><h3>{html.escape(table.title)}</h3>\n'
            f"<table><thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody></table>"
            "</section>")


def render_cell(cell: Cell) -> str:
    """A cell; figure cells carry where their number comes from."""
    if not cell.is_figure:
        return f"<td>{html.escape(cell.text)}</td>"
    value = "" if cell.value is None else repr(cell.value)
    return (f'<td class="num" data-key="{html.escape(cell.key)}" data-year="{cell.year}" '
            f'data-stat="{cell.stat}" data-value="{value}">{html.escape(cell.text)}</td>')
