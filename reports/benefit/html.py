"""The benefit report as one self-contained HTML file: inline CSS and SVG, no scripts or fonts.

Page one is the summary for the council; the results follow, each chart beside the table it is
drawn from; details and every assumption are in the appendix. Every figure cell carries
``data-ref`` (where its number lives in ``metrics.json``, as JSON) and ``data-value`` (the exact
number), so readers and tests can trace it.
"""

from __future__ import annotations

import html
from typing import Any

from reports.benefit.charts import Chart, build_charts, close_charts, to_svg
from reports.benefit.summary import Section, page_one
from reports.benefit.tables import Cell, Table, build_tables
from reports.i18n import text

APPENDIX = ("load", "assumptions", "run")
"""Tables shown in the appendix, after the results."""

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:2rem auto;
max-width:62rem;color:#1a1a1a;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ccc}
h3{font-size:1.05rem;margin:1.4rem 0 .3rem}
#page-one{border:1px solid #d5dbe3;background:#f8fafc;padding:.5rem 1.2rem 1rem;
break-after:page}#page-one h3{margin-top:1rem}
table{border-collapse:collapse;margin:0.4rem 0 0.4rem;font-size:0.88rem}
th,td{border:1px solid #ddd;padding:0.22rem 0.45rem;vertical-align:top}
th{background:#f2f4f7;text-align:left}td.num{text-align:right;white-space:nowrap}
.wide{overflow-x:auto}.note{color:#555;font-size:0.85rem;margin:0 0 1.2rem;max-width:50rem}
figure{margin:0.6rem 0 1.6rem;break-inside:avoid}figcaption{font-weight:600;margin-bottom:.3rem}
figure svg{max-width:100%;height:auto}
"""


def render_html(document: dict[str, Any], lang: str) -> str:
    """The whole report page."""
    tables = build_tables(document, lang)
    charts = build_charts(document, lang, tables)
    try:
        svgs = {c.table: render_chart(c) for c in charts}
    finally:
        close_charts(charts)
    results = "\n".join(render_table(t) + svgs.get(t.ident, "")
                        for t in tables if t.ident not in APPENDIX)
    appendix = "\n".join(render_table(t) + svgs.get(t.ident, "")
                         for t in tables if t.ident in APPENDIX)
    title = html.escape(text(lang, "title"))
    name = html.escape(document["scenario"]["name"])
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}: {name}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{title}</h1>\n<p>{name}</p>\n"
        f'<section id="page-one"><h2>{html.escape(text(lang, "page_one"))}</h2>\n'
        f"{render_sections(page_one(document, lang, tables))}</section>\n"
        f"<h2>{html.escape(text(lang, 'results'))}</h2>\n{results}\n"
        f"<h2>{html.escape(text(lang, 'appendix'))}</h2>\n{appendix}\n</body>\n</html>\n"
    )


def render_sections(sections: list[Section]) -> str:
    """Headed paragraphs."""
    return "\n".join(
        f"<h3>{html.escape(s.heading)}</h3>\n"
        + "\n".join(f"<p>{html.escape(p)}</p>" for p in s.paragraphs) for s in sections)


def render_chart(chart: Chart) -> str:
    """A chart as an inline SVG figure with its caption."""
    return (f'<figure class="chart" id="chart-{chart.ident}"><figcaption>'
            f"{html.escape(chart.title)}</figcaption>\n{to_svg(chart)}</figure>")


def render_table(table: Table) -> str:
    """One table with its caption and note."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    rows = "\n".join("<tr>" + "".join(render_cell(c) for c in row) + "</tr>"
                     for row in table.rows)
    note = f'<p class="note">{html.escape(table.note)}</p>' if table.note else ""
    return (f'<section id="table-{table.ident}"><h3>{html.escape(table.title)}</h3>\n'
            f'<div class="wide"><table><thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n'
            f"</tbody></table></div>{note}</section>")


def render_cell(cell: Cell) -> str:
    """A cell; figure cells carry where their number comes from."""
    if not cell.is_figure:
        return f"<td>{html.escape(cell.text)}</td>"
    value = "" if cell.value is None else repr(cell.value)
    return (f'<td class="num" data-ref="{html.escape(cell.ref_text)}" '
            f'data-value="{value}">{html.escape(cell.text)}</td>')
