"""Generated documentation is up to date."""

from __future__ import annotations

from reports.metrics_doc import render_metrics_doc
from tests.conftest import ROOT


def test_metrics_reference_is_current() -> None:
    current = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert current == render_metrics_doc(), (
        "docs/metrics.md is stale: run `python -m reports.metrics_doc > docs/metrics.md`"
    )


def test_the_shipped_mosquitto_configuration_is_the_one_the_deployment_guide_explains() -> None:
    import re

    guide = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    after = guide[guide.index("/etc/mosquitto/conf.d/vtsim.conf") :]
    block = re.search(r"```\n(.*?)```", after, re.S)
    assert block is not None
    shipped = (ROOT / "docs" / "mosquitto" / "vtsim.conf").read_text(encoding="utf-8")
    settings = [line for line in shipped.splitlines() if line and not line.startswith("#")]
    assert settings == block.group(1).splitlines()
    assert "max_queued_messages 1000000" in settings
