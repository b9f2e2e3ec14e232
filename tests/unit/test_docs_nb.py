"""The Norwegian guide for project leads: every command line in it is one vtsim accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.conftest import ROOT
from vtsim.cli.main import BY_NAME, loaded_command

GUIDE = ROOT / "docs" / "nb"
PAGES = ("kom-i-gang.md", "egen-kommune.md", "bemanning.md", "gevinster.md")


def command_lines(page: Path) -> list[str]:
    """``vtsim`` command lines of a page's shell blocks."""
    blocks = re.findall(r"```sh\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    return [line.strip() for block in blocks for line in block.splitlines()
            if re.match(r"\s*(\.venv/bin/)?vtsim ", line)]


def test_the_guide_has_its_four_pages_and_the_readme_links_it() -> None:
    assert sorted(p.name for p in GUIDE.glob("*.md")) == sorted(PAGES)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in PAGES:
        assert f"docs/nb/{page}" in readme


@pytest.mark.parametrize("page", PAGES)
def test_every_command_line_in_the_guide_parses(page: str) -> None:
    lines = command_lines(GUIDE / page)
    assert lines, page
    for line in lines:
        words = shlex.split(line)
        name, args = words[1], words[2:]
        assert name in BY_NAME, line
        command = loaded_command(BY_NAME[name])
        try:
            command.make_context(name, list(args))
        except Exception as exc:  # typer's own click: its usage errors, unknown options
            pytest.fail(f"{page}: {line}: {exc}")


def test_a_wrong_command_line_is_caught() -> None:
    command = loaded_command(BY_NAME["size"])
    with pytest.raises(Exception, match="--bogus"):
        command.make_context("size", ["x.yaml", "--bogus", "1"])
    with pytest.raises(Exception, match="target"):
        command.make_context("size", ["x.yaml"])


@pytest.mark.parametrize("page", PAGES)
def test_links_in_the_guide_lead_to_files(page: str) -> None:
    text = (GUIDE / page).read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        assert (GUIDE / target).resolve().exists(), f"{page}: {target}"
