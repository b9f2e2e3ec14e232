"""``docs/benefit-metrics.md``: the keys of a comparison's ``metrics.json``, generated from
:data:`sim.benefit.gains.BENEFIT_METRICS`."""

from __future__ import annotations

from sim.benefit.economics import LEVERS, LINES, NET_LINES
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
  "economics": {
    "method": {"first_year": 2026, "period_years": 10, "price_year": 2026,
               "discount_rate": 0.04, "tax_cost": 0.2, "hourly_cost": 413.0,
               "operator_hourly_cost": 413.0, "rota_factor": 1.14, "centre_share": 1.0,
               "hours_per_arsverk": 1695.0, "simulated_years": [2026, 2027]},
    "cash_share": {"night_supervision": 0.3, "default": 0.0},
    "cash_items": {"key_boxes": 40000.0},
    "ramp_up": {"medicine_dispenser": [0.5, 0.9]},
    "one_off": [{"name": "project", "amount": 800000.0, "year": 0, "labels": {"nb": "..."}}],
    "cash_flows": {"years": [2026, "...", 2035], "units": {"costs.rent": "NOK", "...": "..."},
                   "lines": {"costs.rent": [1683000.0, "..."], "net.cash": ["..."]}},
    "npv": {"budget.net": {"mean": -1.2e6, "ci_half_width": 3.4e4, "n": 20, "unit": "NOK",
                           "per_replication": ["..."]},
            "net.cash": {"...": "..."}, "net.with_capacity": {"...": "..."}},
    "annualised": {"budget.net": {"mean": -1.5e5, "unit": "NOK/yr", "...": "..."}},
    "payback_years": {"budget.net": null, "net.cash": null, "net.with_capacity": 3},
    "break_even": [{"name": "hourly_cost", "unit": "NOK/h", "value": 413.0,
                    "line": "net.with_capacity", "break_even": 272.0, "reachable": true,
                    "realistic": true,
                    "description": "..."}],
    "sensitivity": [{"n": 1, "path": "benefit.key_handling.minutes_per_shift", "base": 25.0,
                     "low": 10.0, "high": 40.0,
                     "npv": {"net.cash": {"low": -9.9e7, "high": -9.7e7}, "...": {}},
                     "break_even": {"net.cash": null, "net.with_capacity": 61.2},
                     "within_range": {"net.cash": false, "net.with_capacity": false}}],
    "non_priced": [{"name": "safety", "score": 2, "signs": "++", "affects": "users",
                    "labels": {"nb": "..."}, "reasons": {"nb": "..."},
                    "evidence": [{"key": "quality.missed_doses.caught.per_week",
                                  "mean": 33.5, "ci_half_width": 1.3, "unit": "1/week"}]}]
  },
  "staffing": {"target": "answer 97.5% within 1min", "share": 0.975, "within_s": 60.0,
               "confidence": 0.95,
               "years": {"2026": {"source": "scenario",
                                  "shifts": {"day": 4, "evening": 3, "night": 3},
                                  "attainment": {"day": {"mean": 0.994, "low": 0.991, "n": 20,
                                                         "met": true}},
                                  "met": true}}},
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

## The centre's staffing (`staffing`)

The answer target the costs are sized for and, for every year, the operators per shift used,
where they come from (`given` by `--staffing`, recorded in the `scenario`, from the `cache` of
an earlier search, found by the sizing `search`, or `as written` in the scenario's shifts) and,
per shift, the mean share answered within the target's time, the lower end of its confidence
interval, the replications it is defined in and whether it is `met` (lower end ≥ the target
share; a shift with nothing to answer counts as met). `met` of the year: every shift meets it.
The per-replication shares are the figures `staffing.attainment.{shift}`.

## The economic appraisal (`economics`)

The cost–benefit method of DFØ's *Veileder i samfunnsøkonomiske analyser* and
Finansdepartementet's rundskriv R-109/2021, explained in [benefit.md](benefit.md#method). All
amounts are fixed kroner of `method.price_year`; year `t = 0` is `method.first_year` and a flow
in year `t` is discounted by `(1 + discount_rate) ** -t`. Years of the period after the last
simulated year repeat its figures.

- `cash_flows`: the table computed from the mean figures of the simulated years, one value per
  year of the period for each line (lines below).
- `npv`: the net present value of each net line (`budget.net`, `net.cash`,
  `net.with_capacity`), computed for every replication (so it has a confidence interval).
  **The headline is `net.cash`**: cash-releasing gains only. `net.with_capacity` adds the value
  of freed capacity and is always labelled so.
- `annualised`: the same amount every year of the period with the same net present value
  (NPV / sum of the discount factors).
- `payback_years`: years until the cumulative discounted net line is no longer negative
  (1: within the first year); `null` when it stays negative through the period.
- `break_even`: for each assumption below and for `net.cash` and `net.with_capacity`, the value
  at which the net present value is zero, all else unchanged (`null`: it does not depend on
  it); `reachable` is false when that value lies outside what the assumption can take (a
  share outside 0 to 1, a negative cost); `realistic` is false, too, when a cost's break-even
  is more than 3 times, or less than a third of, its `value` (shares: `realistic` equals
  `reachable`).
- `sensitivity`: for each item of `benefit.sensitivity`, its scenario value (`base`), the
  net present values (`net.cash`, `net.with_capacity`) with the item at its `low` and `high`
  value, and its break-even: where the straight line between those two crosses zero (exact
  where the net present value is linear in the assumption, as for prices and key-handling
  minutes), `within_range` when that lies between low and high. The variants are simulated in
  the first year; every later year is moved by the difference they make there.
- `non_priced`: effects not priced, assessed with DFØ's plus/minus method (`score` −4…+4,
  `signs` `----`…`++++`), with the first year's measured figures named in `evidence` beside
  them. They are never turned into money.

## Keys

`{arm}` is `baseline`, `technology` or `saved`; `{purpose}` a key of `benefit.purposes`, or
`alarm` or `search`; `{device_type}` a device kind; `{device_kind}` a device kind or `other`;
`{component}` one of travel, on_site, key_handling, alarm_answering, search; `{kind}` `cash` or
`capacity`; `{cost}` one of rent, licences, centre_staff, running; `{target}` a target written
as `20s`, `1min`, `45min`; `{hh}` an hour 00–23; `{side}` low or high.

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
    ("`psa.outcome`", "What is distributed: the net present value over the analysis period of "
                      "each net line of the cash-flow table (`budget.net`, `net.cash`, "
                      "`net.with_capacity`, as in `economics.npv`); `headline` names the line "
                      "that leads (`net.cash`), `key` its name as `npv.net.cash`, `unit`, "
                      "`description`."),
    ("`psa.method`, `psa.base_size`, `psa.evaluations`, `psa.seed`, `psa.confidence`",
     "Saltelli design with base size N: N × (inputs + 2) evaluations; the comparison's seed; "
     "the level of the index intervals."),
    ("`psa.inputs`", "Every input drawn: `n` (its index in `benefit.sensitivity`), `path`, "
                     "`distribution` (`pert`, `triangular`, `uniform`), `low`, `mode`, `high`, "
                     "`mean`, `labels`; last the simulation's noise, `path` `replication` "
                     "(discrete uniform over the replications)."),
    ("`psa.left_out`", "Sensitivity items not drawn (`n`, `path`, `reason`): paths outside "
                       "`benefit` change the simulation; they stay in the tornado."),
    ("`psa.npv.{line}.distribution`", "The line's NPV over the 2 N independent draws: `n`, "
                                      "`mean`, `p10`, `p50`, `p90`, `p_negative` (share of "
                                      "draws below 0), `min`, `max`."),
    ("`psa.npv.{line}.ranking`", "Sobol' indices of the line's NPV, largest total first: "
                                 "`path` (or `replication`), `n`, `first` and `total` with the "
                                 "half-widths of their bootstrap intervals `first_conf`, "
                                 "`total_conf`; all 0 when the line does not vary."),
    ("`psa.npv.{line}.draws`", "The 2 N independent draws of the line's NPV, for a histogram."),
    ("`psa.distribution`, `psa.ranking`, `psa.draws`", "The same for the headline line "
                                                       "(`psa.npv.net.cash`)."),
)
"""The keys of the ``psa`` section (:func:`sim.benefit.psa.summarise_psa`)."""


def render_benefit_doc() -> str:
    """The whole page."""
    rows = [f"| `{m.key}` | {m.unit} | {m.description} |" for m in BENEFIT_METRICS]
    psa = [f"| {key} | {meaning} |" for key, meaning in PSA_KEYS]
    return (HEADER + "\n".join(rows) + "\n" + render_economics_doc() + PSA_HEADER
            + "\n".join(psa) + "\n")


def render_economics_doc() -> str:
    """The lines of the cash-flow table and the break-even assumptions."""
    lines = [f"| `{name}` | {unit} | {meaning} |" for name, (unit, meaning) in LINES.items()]
    levers = [f"| `{lever.name}` | {lever.unit} | {lever.description} |" for lever in LEVERS]
    nets = ", ".join(f"`{line}`" for line in NET_LINES)
    return ("\n## Lines of `economics.cash_flows`\n\nThe net lines discounted into `npv` and "
            f"`annualised`: {nets}.\n\n| line | unit | meaning |\n|---|---|---|\n"
            + "\n".join(lines)
            + "\n\n## Assumptions of `economics.break_even`\n\n| name | unit | meaning |\n"
            "|---|---|---|\n" + "\n".join(levers) + "\n")


if __name__ == "__main__":
    print(render_benefit_doc(), end="")
