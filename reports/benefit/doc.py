"""``docs/benefit-metrics.md``: the keys of a comparison's ``metrics.json``, generated from
:data:`sim.benefit.gains.BENEFIT_METRICS`."""

from __future__ import annotations

from sim.benefit.gains import BENEFIT_METRICS

HEADER = """# metrics.json of `vtsim compare` (reference)

`vtsim compare` writes `metrics.json` into its `--out` folder; `vtsim report` reads only this
file. This page is generated from `sim/benefit/gains.py`
(`python -m reports.benefit.doc > docs/benefit-metrics.md`); a test fails when it is stale. How
the figures are made is explained in [benefit.md](benefit.md).

## Layout

```json
{
  "schema": "vtsim.benefit/1",
  "vtsim_version": "0.1.0",
  "scenario": {"name": "Lier 2026", "file": "lier-2026.yaml", "sha256": "..."},
  "seed": 7, "replications": 20, "confidence": 0.95,
  "window": {"warmup_s": 86400.0, "horizon_s": 2419200.0},
  "years": [2026, 2027],
  "targets": {"answer_within_s": [20.0, 60.0, 180.0], "visit_within_s": [2700.0, 3600.0]},
  "purposes": {"medication": {"nb": "Medisinering", "en": "Medication"}},
  "profiles": {"home_care_kit": {"count": 60, "devices": ["safety_alarm", "e_lock"]}},
  "sensitivity": [{"n": 0, "path": "benefit.costs.hourly_cost", "low": 350, "high": 500,
                   "labels": {"nb": "...", "en": "..."}}],
  "assumptions": [{"path": "benefit.costs.hourly_cost", "value": 413.0, "source": "..."},
                  {"path": "benefit.searches.duration", "value": {"kind": "lognormal",
                   "mean": 90.0, "sd": 60.0, "unit": "min"}, "source": "assumption"}],
  "metrics": {
    "2026": {
      "visits.saved.per_week": {"mean": 1945.2, "ci_half_width": 8.1, "n": 20, "unit": "1/week",
                                "per_replication": [1941.3, "..."]}
    }
  }
}
```

- `metrics` has one mapping per year of `--years` (the scenario's base year without it). Each
  figure is as in `vtsim run`'s `metrics.json`: `mean` and `ci_half_width` (Student t at
  `confidence`) over the `n` replications where it is defined, and every replication's value.
- Every gain (`saved`) is the difference between the arms *within* each replication, on common
  random numbers, then aggregated; it is never a factor applied to a total.
- Rates: counts over the measurement window, divided by `window.days`, times 7 (per week) or
  365 (per year).
- `sensitivity.{n}.{side}` exist in the first year only.

## Keys

`{arm}` is `baseline`, `technology` or `saved`; `{purpose}` a key of `benefit.purposes`, or
`alarm` or `search`; `{device_type}` a device kind; `{component}` one of travel, on_site,
key_handling, alarm_answering, search; `{cost}` one of rent, licences, centre_staff, running;
`{target}` a target written as `20s`, `1min`, `45min`; `{hh}` an hour 00–23; `{side}` low or high.

| key | unit | meaning |
|---|---|---|
"""


PSA_HEADER = """
## `psa`: the probabilistic sensitivity analysis

Present when `vtsim compare` ran it (`--psa-samples`, default 32; see
[benefit.md](benefit.md#uncertainty)). Amounts in NOK, shares as fractions.

| key | meaning |
|---|---|
"""
PSA_KEYS: tuple[tuple[str, str], ...] = (
    ("`psa.outcome`", "What is distributed: `key` (`nok.cumulative`, the net gain over the "
                      "plan), `unit`, `description`."),
    ("`psa.method`, `psa.base_size`, `psa.evaluations`, `psa.seed`, `psa.confidence`",
     "Saltelli design with base size N: N × (inputs + 2) evaluations; the comparison's seed; "
     "the level of the index intervals."),
    ("`psa.inputs`", "Every input drawn: `n` (its index in `benefit.sensitivity`), `path`, "
                     "`distribution` (`pert`, `triangular`, `uniform`), `low`, `mode`, `high`, "
                     "`mean`, `labels`; last the simulation's noise, `path` `replication` "
                     "(discrete uniform over the replications)."),
    ("`psa.left_out`", "Sensitivity items not drawn (`n`, `path`, `reason`): paths outside "
                       "`benefit` change the simulation; they stay in the tornado."),
    ("`psa.distribution`", "Over the 2 N independent draws: `n`, `mean`, `p10`, `p50`, `p90`, "
                           "`p_negative` (share of draws below 0), `min`, `max`."),
    ("`psa.ranking`", "Sobol' indices, largest total first: `path` (or `replication`), `n`, "
                      "`first` and `total` with the half-widths of their bootstrap intervals "
                      "`first_conf`, `total_conf`."),
    ("`psa.draws`", "The 2 N independent draws of the outcome, for a histogram."),
)
"""The keys of the ``psa`` section (:func:`sim.benefit.psa.summarise_psa`)."""


def render_benefit_doc() -> str:
    """The whole page."""
    rows = [f"| `{m.key}` | {m.unit} | {m.description} |" for m in BENEFIT_METRICS]
    psa = [f"| {key} | {meaning} |" for key, meaning in PSA_KEYS]
    return HEADER + "\n".join(rows) + "\n" + PSA_HEADER + "\n".join(psa) + "\n"


if __name__ == "__main__":
    print(render_benefit_doc(), end="")
