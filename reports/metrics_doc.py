"""``docs/metrics.md``: the reference of ``metrics.json``, generated from the metric registry."""

from __future__ import annotations

from sim.model.member_metrics import REGION_METRICS
from sim.model.metrics import METRICS

HEADER = """# metrics.json reference

`vtsim run` writes `metrics.json` into its `--out` folder. This page is generated from
`sim/model/metrics.py` (`python -m reports.metrics_doc > docs/metrics.md`); a test fails when it is
stale.

## Layout

```json
{
  "schema": "vtsim.metrics/1",
  "vtsim_version": "0.1.0",
  "scenario": {"name": "...", "file": "lier-2026.yaml", "sha256": "..."},
  "seed": 7,
  "replications": 10,
  "confidence": 0.95,
  "window": {"warmup_s": 86400.0, "horizon_s": 2419200.0},
  "warnings": ["..."],
  "metrics": {
    "answer.p90_s": {
      "mean": 21.4, "ci_half_width": 1.9, "n": 10, "unit": "s",
      "per_replication": [20.1, 22.5, "..."]
    }
  }
}
```

- `mean` is the mean over the replications in which the figure is defined; `ci_half_width` is
  the half-width of the Student t interval at `confidence` over those `n` replications (each
  replication is one independent observation). `null` where undefined (for example a visit
  response time in a run without visits, or a half-width from a single replication).
- **Intervals near a bound.** The interval is Student t over replications, symmetric around
  the mean, so for a share near 100 % (or a time or count near 0) it can reach past what the
  figure can be: 99.9 ± 0.3 % says up to 100.2 %. `metrics.json` keeps the half-width as
  computed. The terminal summary of `vtsim run` shows such an interval by its bounds, clipped
  at 0 and 100 %: `99.9 (99.6–100) %`, `5.0 (0–13.0) s`, and its footnote says so. The
  clipped interval is the part of the t interval the figure can take; it is not a Wilson or
  other proportion interval (a share here is the mean of the replications' shares, each an
  independent observation, not one pooled binomial count, whose interval would ignore the
  variation between replications), and its coverage is that of the t interval. `vtsim size`
  judges targets by the lower bound, which clipping at 100 % never changes.
- `per_replication` lists every replication's value in replication order; `null` where the
  figure is undefined in that replication.
- Counts are over the measurement window `[warmup, horizon)`: messages and incidents by the time
  they reached the centre, visits by the time of their alarm. Divide by `window.days` for rates.
- The same scenario file and seed give a byte-identical file, whatever the number of worker
  processes. Wall times are in `run.json` beside it, not here.

## Keys

`{…}` stands for a part filled in from the scenario: `{device_type}` and `{event}` from the
device catalog, `{shift}` and `{zone}` from the scenario's names, `{target}` from
`targets.answer_within` / `targets.visit_within` written as `20s`, `1min`, `45min`, `1h`, and
`{p}` the priority 1–5, `{place}` one of incident, correlated, duplicate, rejected, info,
`{outcome}` one of resolved_remotely, relatives_called, home_visit, technical_followup,
emergency_services.

| key | unit | meaning |
|---|---|---|
"""

REGION_HEADER = """
## A region's keys

`vtsim run region.yaml` (several municipalities sharing one centre, docs/scenario.md) writes
the same layout. Its keys without a prefix pool every member's incidents and visits; every
member's own figures follow under `members.{member}.` with the keys above, measured against
the shared centre's shifts. `{member}` is the member's name in the region file.

| key | unit | meaning |
|---|---|---|
"""


def render_metrics_doc() -> str:
    """The whole page."""
    rows = [f"| `{m.key}` | {m.unit} | {m.description} |" for m in METRICS]
    region = [f"| `{m.key}` | {m.unit} | {m.description} |" for m in REGION_METRICS]
    return HEADER + "\n".join(rows) + "\n" + REGION_HEADER + "\n".join(region) + "\n"


if __name__ == "__main__":
    print(render_metrics_doc(), end="")
