"""The sizing summary's Bokmål phrases read correctly for any number of staffings."""

from __future__ import annotations

import string

import pytest

from reports.i18n import TEXT, text


@pytest.mark.parametrize("points", ["1", "6"])
def test_the_sizing_title_has_no_plural_after_one(points: str) -> None:
    title = text("nb", "sz_title", year="2026", users="30", incidents="8", points=points)
    assert title == f"2026: 30 brukere, 8 alarmer per døgn (simulerte bemanninger: {points})"


def test_the_sizing_intro_names_the_target() -> None:
    intro = text("nb", "sz_intro", name="Flå 2026", file="flaa.yaml",
                 targets="svar 97,5 % innen 60 s")
    assert intro == "Bemanning for Flå 2026 (flaa.yaml) med mål: svar 97,5 % innen 60 s"


@pytest.mark.parametrize("key", ["sz_title", "sz_intro"])
def test_both_languages_fill_the_same_placeholders(key: str) -> None:
    def fields(phrase: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(phrase) if name}

    assert fields(TEXT["nb"][key]) == fields(TEXT["en"][key])
