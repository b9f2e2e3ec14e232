"""The report of a shared centre for a council (Bokmål or English, HTML or spreadsheet): each
member's figures, the cost-sharing keys with each member's share and net gain, and the
organisation models when the run compared them. Read from a region run's ``metrics.json``
(``vtsim run region.yaml --out DIR``, then ``vtsim report DIR``)."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.i18n import format_nok, format_number, format_seconds, format_share
from sim.scenario.durations import parse_duration

MODELS = ("own", "shared", "direct", "purchased")
KEYS = ("inhabitants", "devices", "alarms", "operator_minutes", "fixed_variable")

WORDS: dict[str, dict[str, str]] = {
    "nb": {
        "title": "Interkommunalt responssenter",
        "intro": "Tall fra simuleringen: gjennomsnitt over gjentakene, med 95 % "
                 "konfidensintervall (±). Hver kommune har sine egne alarmer og sin egen "
                 "hjemmetjeneste; bare operatørene deles.",
        "members": "Kommunene i det felles senteret",
        "figure": "Tall",
        "region": "Regionen",
        "incidents": "Alarmer per døgn",
        "within": "Besvart innen {t}",
        "answer_mean": "Svartid, snitt (sekunder)",
        "visits": "Utrykninger (hjemmebesøk på alarm) per døgn",
        "visit_mean": "Fremme hos brukeren, snitt (minutter)",
        "op_hours": "Operatørtimer per døgn",
        "op_share": "Andel av operatørtiden",
        "costs": "Kostnadsdeling (tusen kroner per år)",
        "costs_note": "Andel = kommunens del av det felles senterets kostnad etter nøkkelen; "
                      "gevinst = eget senter minus andelen.",
        "own": "Eget senter",
        "share": "Andel",
        "gain": "Gevinst",
        "key.inhabitants": "per innbygger",
        "key.devices": "per enhet",
        "key.alarms": "per alarm",
        "key.operator_minutes": "per brukt operatørminutt",
        "key.fixed_variable": "fast + variabel",
        "total": "Sum",
        "models": "Fire måter å organisere alarmmottaket på",
        "models_note": "Samme alarmer i alle modellene (felles tilfeldige tall); Δ er "
                       "forskjellen fra eget senter, parvis per gjentak. Kjøpt tjeneste: "
                       "svartid som avtalt, ikke simulert.",
        "model.own": "Eget senter",
        "model.shared": "Felles senter",
        "model.direct": "Direkte respons (hjemmetjenesten)",
        "model.purchased": "Kjøpt tjeneste",
        "member": "Kommune",
        "model": "Modell",
        "arsverk": "Årsverk (egne ansatte som svarer)",
        "cost": "Kostnad per år (tusen kr)",
        "delta_cost": "Δ kostnad (tusen kr)",
        "delta_within": "Δ besvart (prosentpoeng)",
        "npv": "Netto nåverdi {first}–{last} (tusen kr)",
        "delta_npv": "Δ netto nåverdi (tusen kr)",
        "npv_note": " Netto nåverdi: kostnaden ved modellen over analyseperioden i kommunens "
                    "gevinstanalyse, med skattefinansieringskostnad og kalkulasjonsrente som "
                    "der; bare for kommuner med gevinstanalyse. Gevinstene av teknologien er de "
                    "samme i alle modellene og er ikke med.",
    },
    "en": {
        "title": "Shared response centre",
        "intro": "Figures from the simulation: means over the replications with their 95 % "
                 "confidence intervals (±). Each municipality keeps its own alarms and its own "
                 "home care; only the operators are shared.",
        "members": "The members of the shared centre",
        "figure": "Figure",
        "region": "Region",
        "incidents": "Incidents per day",
        "within": "Answered within {t}",
        "answer_mean": "Answer time, mean (seconds)",
        "visits": "Home visits on alarms per day",
        "visit_mean": "Visit response, mean (minutes)",
        "op_hours": "Operator hours per day",
        "op_share": "Share of operator time",
        "costs": "Cost sharing (NOK thousand a year)",
        "costs_note": "Share = the member's part of the shared centre's cost by the key; "
                      "gain = own centre less the share.",
        "own": "Own centre",
        "share": "Share",
        "gain": "Gain",
        "key.inhabitants": "per inhabitant",
        "key.devices": "per device",
        "key.alarms": "per alarm",
        "key.operator_minutes": "per operator-minute used",
        "key.fixed_variable": "fixed + variable",
        "total": "Total",
        "models": "Four ways to organise alarm response",
        "models_note": "The same alarms in every model (common random numbers); Δ is the "
                       "paired difference from the own centre per replication. Purchased "
                       "service: answer times as contracted, not simulated.",
        "model.own": "Own centre",
        "model.shared": "Shared centre",
        "model.direct": "Direct response (home care)",
        "model.purchased": "Purchased service",
        "member": "Member",
        "model": "Model",
        "arsverk": "Årsverk (own staff answering)",
        "cost": "Cost a year (NOK thousand)",
        "delta_cost": "Δ cost (NOK thousand)",
        "delta_within": "Δ answered (percentage points)",
        "npv": "Net present value {first}–{last} (NOK thousand)",
        "delta_npv": "Δ net present value (NOK thousand)",
        "npv_note": " Net present value: the model's cost over the appraisal period of the "
                    "member's benefit analysis, with its tax cost and discount rate; only for "
                    "members with a benefit analysis. The technology's gains are the same in "
                    "every model and are left out.",
    },
}


@dataclass(frozen=True)
class ReportTable:
    """One table: title, note, header and rows of text cells."""

    title: str
    note: str
    header: list[str]
    rows: list[list[str]]


class Cell(str):
    """A figure's text as shown, with the number behind it (``value``, in the unit shown; a
    share as a fraction) and its interval's half-width, for the spreadsheet."""

    value: float
    half: float
    share: bool

    @classmethod
    def of(cls, text: str, value: float, half: float, share: bool = False) -> Cell:
        """The text with its numbers."""
        cell = cls(text)
        cell.value, cell.half, cell.share = value, half, share
        return cell


class RegionReportError(ValueError):
    """A metrics.json that is not a region run's."""


def member_names(document: dict[str, Any]) -> list[str]:
    """The members of a region run, in the order of its metrics."""
    names: dict[str, None] = {}
    for key in document.get("metrics", {}):
        if key.startswith("members.") and key.count(".") >= 2:
            names[key.split(".")[1]] = None
    if not names:
        raise RegionReportError("not a region run: its metrics.json has no members.* figures "
                                "(run `vtsim run REGION.yaml --out DIR` first)")
    return list(names)


def _mean(document: dict[str, Any], key: str) -> tuple[float, float]:
    figure = document["metrics"].get(key)
    if not figure or figure.get("mean") is None:
        return math.nan, math.nan
    half = figure.get("ci_half_width")
    return float(figure["mean"]), math.nan if half is None else float(half)


def _cell(document: dict[str, Any], key: str, lang: str, kind: str = "number",
          scale: float = 1.0, decimals: int = 1) -> str:
    mean, half = _mean(document, key)
    if math.isnan(mean):
        return "–"
    if kind == "share":
        return Cell.of(share_cell(mean, half, lang), mean, half, share=True)
    factor = 1 / 1000 if kind == "knok" else 1.0 if kind == "nok" else scale
    return Cell.of(_text(mean, half, lang, kind, scale, decimals), mean * factor,
                   abs(half) * factor)


def _text(mean: float, half: float, lang: str, kind: str, scale: float, decimals: int) -> str:
    if kind == "knok":
        text, shown, places = format_number(mean / 1000, lang, 0), half / 1000, 0
    elif kind == "nok":
        text, shown, places = format_nok(mean, lang), half, 0
    else:
        text, shown, places = format_number(mean * scale, lang, decimals), half * scale, decimals
    if math.isnan(shown) or round(abs(shown), places) == 0:
        return text  # no interval, or one too narrow to show at this precision
    return f"{text} ± {format_number(abs(shown), lang, places)}"


def share_cell(mean: float, half: float, lang: str) -> str:
    """A share with its interval, ``98,9 % ± 0,2``; where the Student t interval reaches past
    0 % or 100 % (a small member with few alarms), the interval clipped to [0 %, 100 %] and
    written out: ``99,9 % (99,5–100 %)``. Clipping keeps the coverage, since the true share
    lies in [0, 1]."""
    text = format_share(mean, lang)
    if math.isnan(half) or round(abs(half) * 100, 1) == 0:
        return text
    low, high = mean - abs(half), mean + abs(half)
    if low >= 0.0 and high <= 1.0:
        return f"{text} ± {format_number(abs(half) * 100, lang, 1)}"
    low, high = max(low, 0.0), min(high, 1.0)
    return (f"{text} ({format_number(low * 100, lang, 1)}–"
            f"{format_number(high * 100, lang, 1)}\u00a0%)")


def target_label(target: str, lang: str) -> str:
    """An answer target key (``1min``) as a reader writes it (``60 s``)."""
    try:
        return format_seconds(parse_duration(target), lang)
    except ValueError:
        return target


def answer_target(document: dict[str, Any]) -> str:
    """The answer-target key shown: 60 s if measured, else the first measured."""
    keys = [k.removeprefix("answer.within_") for k in document["metrics"]
            if k.startswith("answer.within_")]
    return "1min" if "1min" in keys else (keys[0] if keys else "1min")


def members_table(document: dict[str, Any], lang: str) -> ReportTable:
    """Each member's and the region's figures."""
    w = WORDS[lang]
    names = member_names(document)
    days = _mean(document, "window.days")[0] or 1.0
    target = answer_target(document)
    rows_spec = [
        (w["incidents"], "incidents.per_day", "number", 1.0, 1),
        (w["within"].format(t=target_label(target, lang)), f"answer.within_{target}", "share",
         1.0, 1),
        (w["answer_mean"], "answer.mean_s", "number", 1.0, 1),
        (w["visits"], "visits.per_day", "number", 1.0, 2),
        (w["visit_mean"], "visits.response_mean_s", "number", 1 / 60, 1),
        (w["op_hours"], "operators.busy_h", "number", 1 / days, 1),
        (w["op_share"], "operators.busy_share", "share", 1.0, 1),
    ]
    rows = []
    for label, key, kind, scale, decimals in rows_spec:
        cells = [_cell(document, f"members.{n}.{key}", lang, kind, scale, decimals)
                 for n in names]
        region = "100 %" if key == "operators.busy_share" else \
            _cell(document, key, lang, kind, scale, decimals)
        rows.append([label, *cells, region])
    return ReportTable(w["members"], w["intro"], [w["figure"], *names, w["region"]], rows)


def costs_table(document: dict[str, Any], lang: str) -> ReportTable | None:
    """Each member's own centre, share and gain under each key."""
    w = WORDS[lang]
    names = member_names(document)
    if "costs.total" not in document["metrics"]:
        return None
    rows = [[w["own"], *(_cell(document, f"costs.{n}.own", lang, "knok") for n in names),
             _cell(document, "costs.own_total", lang, "knok")]]
    for key in KEYS:
        if f"costs.{names[0]}.{key}" not in document["metrics"]:
            continue
        rows.append([f"{w['share']} {w['key.' + key]}",
                     *(_cell(document, f"costs.{n}.{key}", lang, "knok") for n in names),
                     _cell(document, "costs.total", lang, "knok")])
        rows.append([f"{w['gain']} {w['key.' + key]}",
                     *(_cell(document, f"gain.{n}.{key}", lang, "knok") for n in names),
                     _cell(document, "gain.region", lang, "knok")])
    return ReportTable(w["costs"], w["costs_note"], [w["figure"], *names, w["total"]], rows)


def models_table(document: dict[str, Any], lang: str) -> ReportTable | None:
    """The organisation models per member and region."""
    w = WORDS[lang]
    names = member_names(document)
    if not any(k.startswith("models.") for k in document["metrics"]):
        return None
    target = answer_target(document)
    npv = next((k.rsplit(".", 1)[1] for k in document["metrics"]
                if k.startswith("models.") and ".npv_" in k), None)
    header = [w["member"], w["model"], w["within"].format(t=target_label(target, lang)),
              w["delta_within"], w["arsverk"], w["cost"], w["delta_cost"]]
    if npv is not None:
        first, last = npv.removeprefix("npv_").split("_")
        header += [w["npv"].format(first=first, last=last), w["delta_npv"]]
    rows = []
    for name in [*names, "region"]:
        for model in MODELS:
            base = f"models.{name}.{model}."
            delta = f"models.{name}.{model}_vs_own."
            row = [
                w["region"] if name == "region" else name, w["model." + model],
                _cell(document, base + f"answer.within_{target}", lang, "share"),
                _cell(document, delta + f"answer.within_{target}", lang, "number", 100.0, 1),
                _cell(document, base + "arsverk", lang, "number", 1.0, 2),
                _cell(document, base + "cost", lang, "knok"),
                _cell(document, delta + "cost", lang, "knok"),
            ]
            if npv is not None:
                row += [_cell(document, base + npv, lang, "knok"),
                        _cell(document, delta + npv, lang, "knok")]
            rows.append(row)
    note = w["models_note"] + (w["npv_note"] if npv is not None else "")
    return ReportTable(w["models"], note, header, rows)


def report_tables(document: dict[str, Any], lang: str) -> list[ReportTable]:
    """Every table of the report, in order."""
    tables = [members_table(document, lang), costs_table(document, lang),
              models_table(document, lang)]
    return [t for t in tables if t is not None]


def render_region_html(document: dict[str, Any], lang: str) -> str:
    """A self-contained HTML page (every text escaped)."""
    w = WORDS[lang]
    name = str(document.get("scenario", {}).get("name", ""))
    parts = [f"<!DOCTYPE html><html lang=\"{'nb' if lang == 'nb' else 'en'}\"><head>"
             "<meta charset=\"utf-8\">"
             f"<title>{html.escape(w['title'])}: {html.escape(name)}</title>"
             "<style>body{font-family:sans-serif;max-width:80rem;margin:2rem auto;padding:0 1rem}"
             "table{border-collapse:collapse;margin:1rem 0;font-size:.85rem}"
             "th,td{border-bottom:1px solid #ccc;padding:.25rem .4rem;text-align:right}"
             "th:first-child,td:first-child{text-align:left}td.n{white-space:nowrap}"
             "</style></head><body>",
             f"<h1>{html.escape(w['title'])}: {html.escape(name)}</h1>"]
    for table in report_tables(document, lang):
        parts.append(f"<h2>{html.escape(table.title)}</h2><p>{html.escape(table.note)}</p>")
        parts.append("<table><thead><tr>" + "".join(
            f"<th>{html.escape(h)}</th>" for h in table.header) + "</tr></thead><tbody>")
        for row in table.rows:
            parts.append("<tr>" + "".join(
                f"<td class=\"n\">{html.escape(c)}</td>" if isinstance(c, Cell)
                else f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>\n")
    return "".join(parts)


def write_region_xlsx(document: dict[str, Any], lang: str, path: Path) -> None:
    """One sheet per table: each figure as a number (shares as per cent), with its 95 %
    interval's half-width as a number in the column beside it, so that the sheet calculates."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    plus_minus = "± 95 % KI" if lang == "nb" else "± 95 % CI"
    for table in report_tables(document, lang):
        sheet = book.create_sheet(table.title[:31])
        sheet.append([table.title])
        sheet.append([table.note])
        numeric = [i for i in range(len(table.header))
                   if any(isinstance(row[i], Cell) for row in table.rows)]
        header: list[str] = []
        for i, heading in enumerate(table.header):
            header += [heading, f"{heading} {plus_minus}"] if i in numeric else [heading]
        sheet.append(header)
        for row in table.rows:
            values: list[str | float | None] = []
            formats: list[str | None] = []
            for i, cell in enumerate(row):
                if i not in numeric:
                    values.append(cell)
                    formats.append(None)
                elif isinstance(cell, Cell):
                    values += [cell.value, None if math.isnan(cell.half) else cell.half]
                    formats += ["0.0%" if cell.share else "#,##0.00"] * 2
                else:
                    values += [None, None]
                    formats += [None, None]
            sheet.append(values)
            for cell, number_format in zip(sheet[sheet.max_row], formats, strict=False):
                if number_format is not None:
                    cell.number_format = number_format
    book.save(path)


PDF_FONT = "DejaVu"


def column_weights(table: ReportTable) -> list[float]:
    """Relative widths of a PDF table's columns: by the longest cell (a long label wraps over
    at most about two lines) and the longest word of the heading, so that no word is cut."""
    weights = []
    for i, heading in enumerate(table.header):
        longest = max([len(row[i]) for row in table.rows] or [1])
        word = max(len(w) for w in heading.replace("(", " ").split() or [""])
        weights.append(float(max(word + 1, min(longest, 18), 6)))
    return weights


def write_region_pdf(document: dict[str, Any], lang: str, path: Path) -> None:
    """The same tables as a PDF (A4 landscape; DejaVu Sans from matplotlib's files, so that
    Norwegian letters and symbols print without a system font)."""
    import matplotlib
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.add_font(PDF_FONT, "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font(PDF_FONT, "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    name = str(document.get("scenario", {}).get("name", ""))
    pdf.set_font(PDF_FONT, "B", 15)
    pdf.multi_cell(0, 8, f"{WORDS[lang]['title']}: {name}", new_x="LMARGIN", new_y="NEXT")
    for table in report_tables(document, lang):
        if pdf.will_page_break(30):
            pdf.add_page()
        pdf.set_font(PDF_FONT, "B", 11)
        pdf.multi_cell(0, 6, table.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(PDF_FONT, "", 8)
        pdf.multi_cell(0, 4, table.note, new_x="LMARGIN", new_y="NEXT")
        with pdf.table(col_widths=column_weights(table), width=pdf.epw,
                       text_align="LEFT", headings_style=FontFace(emphasis="BOLD"),
                       line_height=4.2) as grid:
            header = grid.row()
            for column in table.header:
                header.cell(column)
            for cells in table.rows:
                row = grid.row()
                for i, cell in enumerate(cells):
                    row.cell(cell, align="LEFT" if i == 0 else "RIGHT")
        pdf.ln(4)
    pdf.output(str(path))
