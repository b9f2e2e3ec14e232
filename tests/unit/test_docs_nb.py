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


def yaml_blocks(page: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", (GUIDE / page).read_text(encoding="utf-8"), re.S)


def test_the_input_file_of_the_guide_writes_a_scenario(tmp_path: Path) -> None:
    import subprocess
    import sys

    example = next(block for block in yaml_blocks("egen-kommune.md") if "age_bands:" in block)
    source = tmp_path / "kommune.yaml"
    source.write_text(example, encoding="utf-8")
    out = tmp_path / "baerum-2026.yaml"
    result = subprocess.run([sys.executable, "-m", "vtsim", "init", "--from", str(source),
                             "--out", str(out), "--no-input"], cwd=ROOT, text=True,
                            capture_output=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert out.read_text(encoding="utf-8").startswith("# Bærum 2026")


def test_the_sources_example_uses_keys_the_report_knows() -> None:
    import yaml

    example = next(block for block in yaml_blocks("gevinster.md") if "sources:" in block)
    keys = set(yaml.safe_load(example)["benefit"]["sources"])
    lier = yaml.safe_load((ROOT / "scenarios" / "lier-2026.yaml").read_text(encoding="utf-8"))
    assert keys and keys <= set(lier["benefit"]["sources"])
