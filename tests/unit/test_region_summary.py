"""The terminal summary of a region run: Bokmål or English, and readable at 80 columns."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from reports.region_summary import (
    chunks,
    columns_that_fit,
    organisation_table,
    print_region_summary,
)
from sim.analysis.aggregate import Figure
from sim.scenario.region import Region, load_region

REGION_FILE = Path(__file__).resolve().parents[2] / "scenarios" / "region-drammen-2026.yaml"


class WideFigures(dict[str, Figure]):
    """Every figure asked for exists, with wide numbers (the widest cells a run gives)."""

    def get(self, key: str, default: object = None) -> Figure:  # type: ignore[override]
        return self[key]

    def __missing__(self, key: str) -> Figure:
        if any(word in key for word in ("within_", "share", "utilisation", "p_wait")):
            return Figure(key, "share", 0.5, 0.6, (0.5,))  # clipped at both ends: the widest
        return Figure(key, "", 12_345.6, 1_234.5, (12_345.6,))

    def __contains__(self, key: object) -> bool:
        return True


@pytest.fixture(scope="module")
def region() -> Region:
    return load_region(REGION_FILE)


def rendered(region: Region, lang: str) -> str:
    figures = WideFigures()
    figures["window.days"] = Figure("window.days", "d", 27.0, 0.0, (27.0, 27.0, 27.0))
    figures["models.region.own.npv_2026_2035"] = Figure("k", "", -1e7, 1e5, (-1e7,))
    console = Console(width=80, record=True, color_system=None)
    print_region_summary(console, region, figures, ["for få operatører"], lang)
    for name in [region.members[0].name, "region"]:
        console.print(organisation_table(region, figures, "answer.within_60s", name, lang))
    return console.export_text()


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_every_line_fits_in_80_columns(region: Region, lang: str) -> None:
    lines = rendered(region, lang).splitlines()
    assert max(len(line) for line in lines) <= 80
    assert not any("…" in line for line in lines), "no heading or figure is cut"


def test_bokmaal_has_no_english_labels(region: Region) -> None:
    out = rendered(region, "nb")
    for phrase in ("Kommunene", "besvart innen", "Kostnadsdeling", "gevinst per",
                   "egen sentral", "kjøpt tjeneste", "netto nåverdi", "2026–2035", "advarsel",
                   "12\u00a0345,6"):
        assert phrase in out, phrase
    for english in ("Members", "answered within", "Cost sharing", "own centre", "purchased",
                    "per day", "share of", "warning", "12,345.6"):
        assert english not in out, english


def test_english_stays_english(region: Region) -> None:
    out = rendered(region, "en")
    assert "Members" in out and "Cost sharing" in out and "net present" in out
    assert "12,345.6" in out and "kommuner" not in out


def test_members_are_split_into_tables_that_fit() -> None:
    assert columns_that_fit(80) == 3 and columns_that_fit(120) == 5
    assert columns_that_fit(10) == 1
    assert chunks([("a", "A"), ("b", "B"), ("c", "C")], 2) == [[("a", "A"), ("b", "B")],
                                                               [("c", "C")]]


def test_share_intervals_are_clipped_to_100_percent() -> None:
    from reports.region_summary import stacked_share
    from reports.summary import format_share

    small = Figure("answer.within_60s", "share", 0.996, 0.008, (0.99, 1.0, 0.998))
    assert format_share(small, "nb") == "99,6 (98,8–100)\u00a0%"
    assert stacked_share(small, "en") == "99.6\u00a0%\n98.8–100"
    usual = Figure("answer.within_60s", "share", 0.981, 0.004, (0.98, 0.982))
    assert format_share(usual, "en") == "98.1 ± 0.4\u00a0%"


def test_sizing_intervals_are_clipped() -> None:
    from reports.region_summary import share_interval

    assert share_interval(0.949, 1.027, "nb") == "94,9–100\u00a0%"
    assert share_interval(-0.01, 0.5, "en") == "0–50.0\u00a0%"
