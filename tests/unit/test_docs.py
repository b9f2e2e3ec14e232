"""Generated documentation is up to date."""

from __future__ import annotations

from reports.metrics_doc import render_metrics_doc
from tests.conftest import ROOT


def test_metrics_reference_is_current() -> None:
    current = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert current == render_metrics_doc(), (
        "docs/metrics.md is stale: run `python -m reports.metrics_doc > docs/metrics.md`"
    )
