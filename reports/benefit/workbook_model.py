"""The cost–benefit model of the spreadsheet as live formulas (openpyxl).

Four sheets an economist can continue in:

- **Assumptions** (*Forutsetninger*): numbers only, each with its unit and source. The economic
  assumptions (rates, prices, lifetimes, cash shares, ramp-up, one-off costs) are at the top and
  are what the formulas read; every other assumption of the scenario follows, numbers as numbers.
- **Simulation** (*Simulering*): what the simulation gave per simulated year (means): freed
  hours by technology at full effect, devices in use, operator hours on duty.
- **Cash flow** (*Kontantstrøm*): one column per year of the analysis period, every line a
  formula of the two sheets above, step for step as :func:`sim.benefit.economics.cash_flows`.
- **NPV** (*Nåverdi*): the net present values (``SUMPRODUCT`` of a line and the discount
  factors), the annualised values, and vtsim's own figures beside them.

Changing an assumption in Excel or LibreOffice therefore changes the result. A test recomputes
the workbook with an independent formula engine and finds the net present values of
``metrics.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from devices.contract.catalog import DEVICE_TYPES
from reports.benefit.assumptions import assumption_rows
from reports.i18n import label

KINDS = list(DEVICE_TYPES)
"""Device kinds in the catalogue's order."""
OTHER = "other"
"""Freed hours no device kind accounts for (``hours.saved.by_device.other.per_year``)."""
MONTHS = 12
BOLD = Font(bold=True)
NET_LINES = ("budget.net", "net.cash", "net.with_capacity")
SHEETS = {"nb": ("Forutsetninger", "Simulering", "Kontantstrøm", "Nåverdi"),
          "en": ("Assumptions", "Simulation", "Cash flow", "NPV")}
WORDS: dict[str, dict[str, str]] = {
    "nb": {
        "title_a": "Forutsetninger (tall; endre dem, og kontantstrøm og nåverdi regnes om)",
        "title_s": "Simulerte tall per år (gjennomsnitt over simuleringene, full effekt)",
        "title_c": "Kontantstrøm per år (kr, faste priser; formler)",
        "title_n": "Netto nåverdi og årlig nettovirkning (formler)",
        "name": "Forutsetning", "value": "Verdi", "unit": "Enhet", "source": "Kilde",
        "first_year": "Første år i analyseperioden", "period_years": "Analyseperiode (år)",
        "price_year": "Prisnivå (kroneverdi)", "discount_rate": "Kalkulasjonsrente (reell)",
        "tax_cost": "Skattefinansieringskostnad (andel av netto offentlig utgift)",
        "hourly_cost": "Timekostnad i hjemmetjenesten (kr)",
        "operator_hourly_cost": "Timekostnad for operatør (kr)",
        "centre_share": "Kommunens andel av responssenterets bemanning",
        "rota_factor": "Turnusfaktor (betalte timer per vakttime)",
        "hours_per_arsverk": "Arbeidstimer per årsverk",
        "licences_per_year": "Lisenser og alarmmottak (kr per år)",
        "gain_scale": "Andel av den simulerte gevinsten som realiseres",
        "prices": "Priser per enhet", "kind": "Teknologi",
        "rent_per_month": "Leie per måned (kr)", "installation": "Installasjon (kr)",
        "price": "Innkjøpspris (kr)", "lifetime": "Levetid (år)",
        "gains_by_kind": "Gevinst per teknologi: andel tatt ut av budsjettet, og innfasing "
                         "(andel av full effekt) per år i perioden",
        "cash_share": "Andel kontant",
        "one_off": "Engangskostnader", "amount": "Beløp (kr)",
        "year_index": "År i perioden (0 = første)",
        "cash_items": "Andre budsjettkostnader som faller bort (kr per år)",
        "other_assumptions": "Andre forutsetninger (brukt i simuleringen)",
        "other": "Ikke knyttet til én teknologi",
        "sim_year": "Simulert år", "hours_saved": "Frigjorte timer per år",
        "devices": "Enheter i bruk", "operator_hours": "Operatørtimer på vakt per år",
        "t": "År nr. (t)", "year": "Kalenderår", "sim_column": "Simulert år som brukes (nr.)",
        "freed": "Frigjorte timer etter innfasing", "count": "Enheter", "previous": "Høyeste "
        "antall før året", "added": "Nye enheter", "invest": "Kjøp og installasjon",
        "residual_part": "Restverdi av årets nye enheter", "operator": "Operatørtimer",
        "cash_hours": "Timer tatt ut av budsjettet", "freed_total": "Frigjorte timer i alt",
        "npv": "Netto nåverdi (formel)", "annualised": "Årlig nettovirkning (formel)",
        "vtsim_npv": "Netto nåverdi i vtsim", "difference": "Forskjell",
        "discount_sum": "Sum diskonteringsfaktorer",
    },
    "en": {
        "title_a": "Assumptions (numbers; change them and the cash flow and NPV follow)",
        "title_s": "Simulated figures per year (means over the replications, full effect)",
        "title_c": "Cash flow per year (NOK, fixed prices; formulas)",
        "title_n": "Net present value and annualised net effect (formulas)",
        "name": "Assumption", "value": "Value", "unit": "Unit", "source": "Source",
        "first_year": "First year of the analysis period", "period_years": "Analysis period "
        "(years)", "price_year": "Price level (year's kroner)",
        "discount_rate": "Discount rate (real)",
        "tax_cost": "Cost of public funds (share of net public spending)",
        "hourly_cost": "Home-care hourly cost (NOK)",
        "operator_hourly_cost": "Operator hourly cost (NOK)",
        "centre_share": "The municipality's share of the centre's staffing",
        "rota_factor": "Rota factor (paid hours per hour on duty)",
        "hours_per_arsverk": "Working hours per årsverk",
        "licences_per_year": "Licences and alarm reception (NOK a year)",
        "gain_scale": "Share of the simulated gain realised",
        "prices": "Prices per device", "kind": "Technology",
        "rent_per_month": "Rent per month (NOK)", "installation": "Installation (NOK)",
        "price": "Purchase price (NOK)", "lifetime": "Lifetime (years)",
        "gains_by_kind": "Gain per technology: share taken out of the budget, and ramp-up "
                         "(share of the full effect) per year of the period",
        "cash_share": "Cash share",
        "one_off": "One-off costs", "amount": "Amount (NOK)",
        "year_index": "Year of the period (0 = first)",
        "cash_items": "Other budget costs that disappear (NOK a year)",
        "other_assumptions": "Other assumptions (used by the simulation)",
        "other": "Not tied to one technology",
        "sim_year": "Simulated year", "hours_saved": "Hours freed per year",
        "devices": "Devices in use", "operator_hours": "Operator hours on duty per year",
        "t": "Year no. (t)", "year": "Calendar year", "sim_column": "Simulated year used (no.)",
        "freed": "Hours freed after ramp-up", "count": "Devices", "previous": "Most devices "
        "before the year", "added": "New devices", "invest": "Purchase and installation",
        "residual_part": "Residual value of the year's new devices", "operator": "Operator hours",
        "cash_hours": "Hours taken out of the budget", "freed_total": "Hours freed in total",
        "npv": "Net present value (formula)", "annualised": "Annualised net effect (formula)",
        "vtsim_npv": "Net present value in vtsim", "difference": "Difference",
        "discount_sum": "Sum of discount factors",
    },
}
SCALARS = ("first_year", "period_years", "price_year", "discount_rate", "tax_cost",
           "hourly_cost", "operator_hourly_cost", "centre_share", "rota_factor",
           "hours_per_arsverk", "licences_per_year", "gain_scale")
SCALAR_PATHS = {name: f"benefit.economics.{name}" for name in (
    "first_year", "period_years", "price_year", "discount_rate", "tax_cost", "gain_scale")} | {
    name: f"benefit.costs.{name}" for name in (
        "hourly_cost", "operator_hourly_cost", "centre_share", "rota_factor",
        "licences_per_year")} | {"hours_per_arsverk": "benefit.hours_per_arsverk"}
"""The scenario path of each number the formulas read, whose source the sheet shows."""
FORMATS = {"discount_rate": "0.0%", "tax_cost": "0.0%", "centre_share": "0.0%",
           "gain_scale": "0.0%", "first_year": "0", "period_years": "0", "price_year": "0"}


def ref(sheet: str, column: int, row: int, absolute: bool = True) -> str:
    """A cell of another sheet, ``'Forutsetninger'!$B$4``."""
    letter = get_column_letter(column)
    cell = f"${letter}${row}" if absolute else f"{letter}{row}"
    return f"'{sheet}'!{cell}"


@dataclass
class Model:
    """The inputs of the workbook model, read from ``metrics.json``."""

    scalars: dict[str, float]
    priced: dict[str, dict[str, float]]
    """Priced device kinds: rent_per_month, installation, price, lifetime_years."""
    kinds: list[str]
    """Kinds of freed hours: every device kind and ``other``."""
    cash_share: dict[str, float]
    ramp_up: dict[str, list[float]]
    one_off: list[dict[str, Any]]
    cash_items: dict[str, float]
    simulated: list[dict[str, float]] = field(default_factory=list)
    sim_years: list[int] = field(default_factory=list)

    @property
    def period(self) -> int:
        """Years in the analysis period."""
        return int(self.scalars["period_years"])


def read_model(document: dict[str, Any]) -> Model:
    """The workbook's inputs: the economics section, device prices and the simulated means."""
    economics = document["economics"]
    method = economics["method"]
    scalars = {name: float(method[name]) for name in SCALARS if name in method}
    scalars.setdefault("licences_per_year", assumption_value(document,
                                                             "benefit.costs.licences_per_year"))
    scalars.setdefault("gain_scale", 1.0)
    scalars.setdefault("price_year", scalars["first_year"])
    default = float(economics.get("cash_share", {}).get("default", 0.0))
    kinds = [*KINDS, OTHER]
    shares = economics.get("cash_share", {})
    model = Model(
        scalars=scalars,
        priced=device_prices(document),
        kinds=kinds,
        cash_share={k: float(shares.get("" if k == OTHER else k, default)) for k in kinds},
        ramp_up={k: [float(v) for v in economics.get("ramp_up", {}).get(k, [])] for k in kinds},
        one_off=[dict(item) for item in economics.get("one_off", [])],
        cash_items={k: float(v) for k, v in economics.get("cash_items", {}).items()},
    )
    model.sim_years = sorted(int(y) for y in method.get("simulated_years", document["years"]))
    model.simulated = [simulated_year(document, str(y)) for y in model.sim_years]
    return model


def assumption_value(document: dict[str, Any], path: str, default: float = 0.0) -> float:
    """The number of an assumption path (``default`` when absent)."""
    for item in document["assumptions"]:
        if item["path"] == path and isinstance(item["value"], int | float):
            return float(item["value"])
    return default


def device_prices(document: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Prices and lifetimes of the priced device kinds (``benefit.costs.devices``)."""
    prefix = "benefit.costs.devices."
    kinds = sorted({item["path"].removeprefix(prefix).split(".")[0]
                    for item in document["assumptions"] if item["path"].startswith(prefix)},
                   key=lambda k: KINDS.index(k) if k in KINDS else len(KINDS))
    return {kind: {
        "rent_per_month": assumption_value(document, f"{prefix}{kind}.rent_per_month"),
        "installation": assumption_value(document, f"{prefix}{kind}.installation"),
        "price": assumption_value(document, f"{prefix}{kind}.price"),
        "lifetime_years": assumption_value(document, f"{prefix}{kind}.lifetime_years", 5.0),
    } for kind in kinds}


def simulated_year(document: dict[str, Any], year: str) -> dict[str, float]:
    """The means the cash flow needs from one simulated year."""
    figures = document["metrics"][year]

    def mean(key: str) -> float:
        value = figures.get(key, {}).get("mean")
        return 0.0 if value is None else float(value)

    out = {f"hours.{k}": mean(f"hours.saved.by_device.{k}.per_year")
           for k in (*KINDS, OTHER)}
    out.update({f"devices.{k}": mean(f"devices.{k}") for k in KINDS})
    out["operator_hours"] = mean("staff.centre.on_duty_hours.per_year")
    return out


@dataclass
class Places:
    """Where the workbook keeps each input (row numbers of the assumptions sheet, and rows of
    the simulation sheet), for the formulas."""

    scalar: dict[str, int] = field(default_factory=dict)
    price_row: dict[str, int] = field(default_factory=dict)
    gain_row: dict[str, int] = field(default_factory=dict)
    one_off_rows: tuple[int, int] = (0, -1)
    cash_item_rows: tuple[int, int] = (0, -1)
    sim_row: dict[str, int] = field(default_factory=dict)
    flow_row: dict[str, int] = field(default_factory=dict)


PRICE_COLUMNS = ("rent_per_month", "installation", "price", "lifetime_years")
GAIN_FIRST_RAMP = 3
"""Column of the ramp-up share in year 0 in the gains-by-kind table (B = cash share)."""


def write_model(book: Workbook, document: dict[str, Any], lang: str) -> Places:
    """Add the four model sheets; returns where every input and cash-flow line is (the net
    present values are in rows 4, 5, 6 of the last sheet, in the order of NET_LINES)."""
    names = SHEETS[lang]
    words = WORDS[lang]
    model = read_model(document)
    places = Places()
    write_assumptions(book.create_sheet(names[0]), model, document, lang, places)
    write_simulation(book.create_sheet(names[1]), model, lang, places)
    write_cash_flows(book.create_sheet(names[2]), model, names, words, lang, places)
    write_npv(book.create_sheet(names[3]), document, model, names, words, places)
    for name in names:
        print_landscape_to_width(book[name])
    return places


def print_landscape_to_width(sheet: Worksheet) -> None:
    """Print (and export to PDF) in landscape, every column on one page width."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def heading(sheet: Worksheet, row: int, text: str, size: int = 11) -> None:
    """A bold line of text."""
    sheet.cell(row=row, column=1, value=text).font = Font(bold=True, size=size)


def write_assumptions(sheet: Worksheet, model: Model, document: dict[str, Any], lang: str,
                      places: Places) -> None:
    """The numbers the formulas read, then every other assumption of the scenario."""
    words = WORDS[lang]
    heading(sheet, 1, words["title_a"], 13)
    header(sheet, 3, (words["name"], words["value"], words["unit"], words["source"]))
    row = 4
    sources = {item.path: item.source for item in assumption_rows(document, lang)}
    for name in SCALARS:
        sheet.cell(row=row, column=1, value=words[name])
        cell = sheet.cell(row=row, column=2, value=model.scalars[name])
        cell.number_format = FORMATS.get(name, "#,##0.00")
        sheet.cell(row=row, column=4, value=sources.get(SCALAR_PATHS.get(name, ""), ""))
        places.scalar[name] = row
        row += 1
    row = write_prices(sheet, model, words, lang, places, row + 1)
    row = write_gains_by_kind(sheet, model, words, lang, places, row + 1)
    row = write_one_off(sheet, model, words, lang, places, row + 1)
    row = write_cash_items(sheet, model, words, places, row + 1)
    write_other_assumptions(sheet, document, words, lang, row + 1)
    sheet.column_dimensions["A"].width = 58
    for column in range(2, 8 + model.period):
        sheet.column_dimensions[get_column_letter(column)].width = 14


def header(sheet: Worksheet, row: int, columns: Sequence[str]) -> None:
    """A bold header row."""
    for column, text in enumerate(columns, start=1):
        sheet.cell(row=row, column=column, value=text).font = BOLD


def write_prices(sheet: Worksheet, model: Model, words: dict[str, str], lang: str,
                 places: Places, row: int) -> int:
    """Prices and lifetimes per priced device kind."""
    heading(sheet, row, words["prices"])
    header(sheet, row + 1, (words["kind"], words["rent_per_month"], words["installation"],
                            words["price"], words["lifetime"]))
    row += 2
    for kind, prices in model.priced.items():
        sheet.cell(row=row, column=1, value=label(lang, kind))
        for column, name in enumerate(PRICE_COLUMNS, start=2):
            sheet.cell(row=row, column=column, value=prices[name]).number_format = "#,##0"
        places.price_row[kind] = row
        row += 1
    return row


def write_gains_by_kind(sheet: Worksheet, model: Model, words: dict[str, str], lang: str,
                        places: Places, row: int) -> int:
    """Cash share and ramp-up per kind of freed hours."""
    heading(sheet, row, words["gains_by_kind"])
    ramp_heads = [f"t = {t}" for t in range(model.period)]
    header(sheet, row + 1, (words["kind"], words["cash_share"], *ramp_heads))
    row += 2
    for kind in model.kinds:
        sheet.cell(row=row, column=1, value=words["other"] if kind == OTHER else label(lang, kind))
        sheet.cell(row=row, column=2, value=model.cash_share[kind]).number_format = "0.0%"
        shares = model.ramp_up.get(kind, [])
        for t in range(model.period):
            value = shares[t] if t < len(shares) else 1.0
            cell = sheet.cell(row=row, column=GAIN_FIRST_RAMP + t, value=value)
            cell.number_format = "0%"
        places.gain_row[kind] = row
        row += 1
    return row


def write_one_off(sheet: Worksheet, model: Model, words: dict[str, str], lang: str,
                  places: Places, row: int) -> int:
    """One-off costs with the year of the period they fall in (one empty row to add one)."""
    heading(sheet, row, words["one_off"])
    header(sheet, row + 1, (words["name"], words["amount"], words["year_index"]))
    row += 2
    first = row
    for item in model.one_off:
        labels = item.get("labels") or {}
        sheet.cell(row=row, column=1, value=labels.get(lang) or label(lang, item["name"]))
        sheet.cell(row=row, column=2, value=float(item["amount"])).number_format = "#,##0"
        sheet.cell(row=row, column=3, value=int(item["year"]))
        row += 1
    places.one_off_rows = (first, row)
    return row + 1


def write_cash_items(sheet: Worksheet, model: Model, words: dict[str, str], places: Places,
                     row: int) -> int:
    """Other budget costs that disappear, per year at full effect (one empty row to add one)."""
    heading(sheet, row, words["cash_items"])
    header(sheet, row + 1, (words["name"], words["amount"]))
    row += 2
    first = row
    for name, amount in model.cash_items.items():
        sheet.cell(row=row, column=1, value=name.replace("_", " "))
        sheet.cell(row=row, column=2, value=amount).number_format = "#,##0"
        row += 1
    places.cash_item_rows = (first, row)
    return row + 1


def write_other_assumptions(sheet: Worksheet, document: dict[str, Any], words: dict[str, str],
                            lang: str, row: int) -> None:
    """Every assumption of the scenario: numbers as numbers, with unit and source."""
    heading(sheet, row, words["other_assumptions"])
    header(sheet, row + 1, (words["name"], words["value"], words["unit"], words["source"]))
    row += 2
    for item in assumption_rows(document, lang):
        sheet.cell(row=row, column=1, value=item.name)
        shares = item.unit in ("%",) or item.value.endswith("%")
        value: float | str = item.value if item.number is None else item.number
        cell = sheet.cell(row=row, column=2, value=value)
        if item.number is not None:
            cell.number_format = "0.0%" if shares else "0" if item.unit == "" and \
                item.value == str(round(item.number)) else "#,##0.##"
        sheet.cell(row=row, column=3, value="" if shares else item.unit)
        sheet.cell(row=row, column=4, value=item.source)
        row += 1


def write_simulation(sheet: Worksheet, model: Model, lang: str, places: Places) -> None:
    """The simulated means per simulated year (row 3 holds the years, ascending)."""
    words = WORDS[lang]
    heading(sheet, 1, words["title_s"], 13)
    sheet.cell(row=3, column=1, value=words["sim_year"]).font = BOLD
    for column, year in enumerate(model.sim_years, start=2):
        sheet.cell(row=3, column=column, value=year).font = BOLD
    rows = [(f"hours.{k}", f"{words['hours_saved']}: "
             f"{words['other'] if k == OTHER else label(lang, k)}") for k in model.kinds]
    rows += [(f"devices.{k}", f"{words['devices']}: {label(lang, k)}") for k in KINDS]
    rows.append(("operator_hours", words["operator_hours"]))
    for row, (key, name) in enumerate(rows, start=4):
        sheet.cell(row=row, column=1, value=name)
        for column, figures in enumerate(model.simulated, start=2):
            sheet.cell(row=row, column=column, value=figures[key]).number_format = "#,##0.0"
        places.sim_row[key] = row
    sheet.column_dimensions["A"].width = 52
    places.sim_row["_years"] = 3


class Flow:
    """Writes the cash-flow sheet row by row: one column per year t of the period."""

    def __init__(self, sheet: Worksheet, model: Model, names: tuple[str, ...],
                 places: Places) -> None:
        self.sheet = sheet
        self.model = model
        self.a, self.s = names[0], names[1]
        self.places = places
        self.row = 3

    def col(self, t: int) -> str:
        """Column letter of year t."""
        return str(get_column_letter(2 + t))

    def at(self, key: str, t: int) -> str:
        """This sheet's cell of a line in year t."""
        return f"{self.col(t)}{self.places.flow_row[key]}"

    def span(self, key: str) -> str:
        """The whole row of a line, t = 0 … N − 1."""
        row = self.places.flow_row[key]
        return f"${self.col(0)}{row}:${self.col(self.model.period - 1)}{row}"

    def scalar(self, name: str) -> str:
        """An assumption cell."""
        return ref(self.a, 2, self.places.scalar[name])

    def line(self, key: str, name: str, formula: Any, number_format: str = "#,##0",
             bold: bool = False) -> None:
        """A row: ``formula(t)`` gives the cell of year t (a formula string or a number)."""
        self.places.flow_row[key] = self.row
        cell = self.sheet.cell(row=self.row, column=1, value=name)
        if bold:
            cell.font = BOLD
        for t in range(self.model.period):
            target = self.sheet.cell(row=self.row, column=2 + t, value=formula(t))
            target.number_format = number_format
            if bold:
                target.font = BOLD
        self.row += 1

    def simulated(self, key: str, t: int) -> str:
        """The simulated figure used in year t: INDEX of the simulation row at the column the
        year maps to (the latest simulated year not after it, else the first)."""
        years = len(self.model.sim_years)
        row = self.places.sim_row[key]
        first, last = get_column_letter(2), get_column_letter(1 + years)
        return f"INDEX('{self.s}'!${first}${row}:${last}${row},{self.at('sim_column', t)})"


def write_cash_flows(sheet: Worksheet, model: Model, names: tuple[str, ...],
                     words: dict[str, str], lang: str, places: Places) -> None:
    """Every line of the cash flow as formulas (mirrors sim.benefit.economics.cash_flows)."""
    heading(sheet, 1, words["title_c"], 13)
    f = Flow(sheet, model, names, places)
    years = len(model.sim_years)
    year_span = f"'{names[1]}'!$B$3:${get_column_letter(1 + years)}$3"
    f.line("t", words["t"], lambda t: t, "0", bold=True)
    f.line("year", words["year"], lambda t: f"={f.scalar('first_year')}+{f.at('t', t)}", "0",
           bold=True)
    f.line("sim_column", words["sim_column"],
           lambda t: f"=IFERROR(MATCH({f.at('year', t)},{year_span},1),1)", "0")
    write_freed_hours(f, words, lang)
    write_devices(f, words, lang)
    f.line("operator_hours", words["operator"], lambda t: "=" + f.simulated("operator_hours", t))
    write_lines(f, model, words, lang)
    for column in range(2, 2 + model.period):
        sheet.column_dimensions[get_column_letter(column)].width = 13
    sheet.column_dimensions["A"].width = 52
    sheet.freeze_panes = "B5"


def write_freed_hours(f: Flow, words: dict[str, str], lang: str) -> None:
    """Freed hours by kind after ramp-up and the realised share, and the cash share of them."""
    a = f.a
    for kind in f.model.kinds:
        gain_row = f.places.gain_row[kind]
        name = words["other"] if kind == OTHER else label(lang, kind)
        f.line(f"freed.{kind}", f"{words['freed']}: {name}",
               lambda t, k=kind, g=gain_row: f"={f.simulated(f'hours.{k}', t)}"
               f"*{f.scalar('gain_scale')}*{ref(a, GAIN_FIRST_RAMP + t, g)}", "#,##0")
    first, last = f.places.flow_row[f"freed.{f.model.kinds[0]}"], f.row - 1
    share_first = f.places.gain_row[f.model.kinds[0]]
    share_last = f.places.gain_row[f.model.kinds[-1]]
    shares = f"'{a}'!$B${share_first}:$B${share_last}"
    f.line("freed_total", words["freed_total"],
           lambda t: f"=SUM({f.col(t)}{first}:{f.col(t)}{last})")
    f.line("cash_hours", words["cash_hours"],
           lambda t: f"=SUMPRODUCT({f.col(t)}{first}:{f.col(t)}{last},{shares})")


def write_devices(f: Flow, words: dict[str, str], lang: str) -> None:
    """Devices in use, the most before each year, the new ones, their purchase (again at
    each lifetime) and their residual value at the end of the period."""
    a, n = f.a, f.model.period
    for kind, row in f.places.price_row.items():
        name = label(lang, kind)
        life = ref(a, 5, row)
        invest = f"({ref(a, 3, row)}+{ref(a, 4, row)})"
        f.line(f"count.{kind}", f"{words['count']}: {name}",
               lambda t, k=kind: "=" + f.simulated(f"devices.{k}", t), "#,##0")
        f.line(f"previous.{kind}", f"{words['previous']}: {name}",
               lambda t, k=kind: 0 if t == 0 else
               f"=MAX({f.at(f'previous.{k}', t - 1)},{f.at(f'count.{k}', t - 1)})", "#,##0")
        f.line(f"added.{kind}", f"{words['added']}: {name}",
               lambda t, k=kind: f"=MAX(0,{f.at(f'count.{k}', t)}-{f.at(f'previous.{k}', t)})",
               "#,##0")
        added_row, t_row = f.places.flow_row[f"added.{kind}"], f.places.flow_row["t"]
        f.line(f"invest.{kind}", f"{words['invest']}: {name}",
               lambda t, ar=added_row, lf=life, iv=invest, tr=t_row:
               f"={iv}*SUMPRODUCT($B${ar}:{f.col(t)}{ar}*(MOD({f.col(t)}${tr}"
               f"-$B${tr}:{f.col(t)}${tr},{lf})=0))")
        f.line(f"residual.{kind}", f"{words['residual_part']}: {name}",
               lambda t, k=kind, lf=life, iv=invest:
               f"={f.at(f'added.{k}', t)}*{iv}*({f.at('t', t)}+INT(({n}-1-{f.at('t', t)})/{lf})"
               f"*{lf}+{lf}-{n})/{lf}")


def write_lines(f: Flow, model: Model, words: dict[str, str], lang: str) -> None:
    """The lines of the cash-flow table, each a formula of the rows above."""
    from reports.i18n import text

    def name(line: str) -> str:
        return text(lang, f"cf_{line}")

    kinds = list(f.places.price_row)
    n = model.period
    a = f.a

    def total(prefix: str, t: int) -> str:
        return "+".join(f.at(f"{prefix}.{k}", t) for k in kinds) or "0"

    def rent(t: int) -> str:
        terms = [f"{f.at(f'count.{k}', t)}*{ref(a, 2, f.places.price_row[k])}*{MONTHS}"
                 for k in kinds]
        return "=" + ("+".join(terms) or "0")

    first_off, end_off = f.places.one_off_rows
    first_item, end_item = f.places.cash_item_rows
    one_off_amounts = f"'{a}'!$B${first_off}:$B${max(first_off, end_off)}"
    one_off_years = f"'{a}'!$C${first_off}:$C${max(first_off, end_off)}"
    items = f"'{a}'!$B${first_item}:$B${max(first_item, end_item)}"
    last = n - 1
    f.line("costs.investment", name("costs.investment"), lambda t: f"={total('invest', t)}")
    residuals = "+".join(f"SUM({f.span(f'residual.{k}')})" for k in kinds) or "0"
    f.line("costs.residual_value", name("costs.residual_value"),
           lambda t: f"=-({residuals})" if t == last else 0)
    f.line("costs.one_off", name("costs.one_off"),
           lambda t: f"=SUMIF({one_off_years},{f.at('t', t)},{one_off_amounts})")
    f.line("costs.rent", name("costs.rent"), rent)
    f.line("costs.licences", name("costs.licences"), lambda t: f"={f.scalar('licences_per_year')}")
    f.line("costs.centre_staff", name("costs.centre_staff"),
           lambda t: f"={f.at('operator_hours', t)}*{f.scalar('rota_factor')}"
           f"*{f.scalar('operator_hourly_cost')}*{f.scalar('centre_share')}")
    cost_lines = ("costs.investment", "costs.residual_value", "costs.one_off", "costs.rent",
                  "costs.licences", "costs.centre_staff")
    f.line("costs.total", name("costs.total"),
           lambda t: "=" + "+".join(f.at(k, t) for k in cost_lines), bold=True)
    f.line("gains.cash.hours", name("gains.cash.hours"),
           lambda t: f"={f.at('cash_hours', t)}*{f.scalar('hourly_cost')}")
    f.line("gains.cash.items", name("gains.cash.items"),
           lambda t: f"=SUM({items})*{f.scalar('gain_scale')}")
    f.line("gains.cash", name("gains.cash"),
           lambda t: f"={f.at('gains.cash.hours', t)}+{f.at('gains.cash.items', t)}", bold=True)
    f.line("budget.net", name("budget.net"),
           lambda t: f"={f.at('gains.cash', t)}-{f.at('costs.total', t)}", bold=True)
    f.line("tax_cost", name("tax_cost"),
           lambda t: f"={f.scalar('tax_cost')}*-{f.at('budget.net', t)}")
    f.line("net.cash", name("net.cash"),
           lambda t: f"={f.at('budget.net', t)}-{f.at('tax_cost', t)}", bold=True)
    f.line("capacity.hours", name("capacity.hours"),
           lambda t: f"={f.at('freed_total', t)}-{f.at('cash_hours', t)}")
    f.line("capacity.value", name("capacity.value"),
           lambda t: f"={f.at('capacity.hours', t)}*{f.scalar('hourly_cost')}")
    f.line("net.with_capacity", name("net.with_capacity"),
           lambda t: f"={f.at('net.cash', t)}+{f.at('capacity.value', t)}", bold=True)
    f.line("arsverk.freed_gross", name("arsverk.freed_gross"),
           lambda t: f"={f.at('freed_total', t)}/{f.scalar('hours_per_arsverk')}", "#,##0.0")
    f.line("arsverk.centre", name("arsverk.centre"),
           lambda t: f"={f.at('operator_hours', t)}*{f.scalar('rota_factor')}"
           f"*{f.scalar('centre_share')}/{f.scalar('hours_per_arsverk')}", "#,##0.0")
    f.line("arsverk.freed_net", name("arsverk.freed_net"),
           lambda t: f"={f.at('arsverk.freed_gross', t)}-{f.at('arsverk.centre', t)}", "#,##0.0")
    f.line("discount_factor", name("discount_factor"),
           lambda t: f"=(1+{f.scalar('discount_rate')})^-{f.at('t', t)}", "0.0000")


NPV_FIRST_ROW = 4
"""Row of the first net present value in the last sheet."""


def write_npv(sheet: Worksheet, document: dict[str, Any], model: Model,
              names: tuple[str, ...], words: dict[str, str], places: Places) -> None:
    """Net present value and annualised value of each net line, with vtsim's figures beside."""
    from reports.i18n import text

    lang = "nb" if names == SHEETS["nb"] else "en"
    heading(sheet, 1, words["title_n"], 13)
    header(sheet, 3, ("", words["npv"], words["annualised"], words["vtsim_npv"],
                      words["difference"]))
    flow = names[2]
    last = get_column_letter(1 + model.period)
    discount = f"'{flow}'!$B${places.flow_row['discount_factor']}:${last}$" \
               f"{places.flow_row['discount_factor']}"
    for row, line in enumerate(NET_LINES, start=NPV_FIRST_ROW):
        span = f"'{flow}'!$B${places.flow_row[line]}:${last}${places.flow_row[line]}"
        sheet.cell(row=row, column=1, value=text(lang, f"npv_{line}"))
        sheet.cell(row=row, column=2, value=f"=SUMPRODUCT({span},{discount})").number_format = \
            "#,##0"
        sheet.cell(row=row, column=3, value=f"=B{row}/SUM({discount})").number_format = "#,##0"
        vtsim = document["economics"].get("npv", {}).get(line, {}).get("mean")
        sheet.cell(row=row, column=4, value=vtsim).number_format = "#,##0"
        sheet.cell(row=row, column=5, value=f"=B{row}-D{row}").number_format = "#,##0.00"
    sheet.cell(row=8, column=1, value=words["discount_sum"])
    sheet.cell(row=8, column=2, value=f"=SUM({discount})").number_format = "0.0000"
    sheet.column_dimensions["A"].width = 60
    for column in "BCDE":
        sheet.column_dimensions[column].width = 20
