"""Scenario sections for benefit realisation (*gevinstrealisering*) and growth per year.

``benefit`` describes home care *without* the technology (the baseline arm: planned visits per
user profile and purpose, key handling, searches for missing persons, alarms answered directly by
home care) and what each device kind replaces, plus the costs in NOK. ``growth`` says how the user
counts grow per year (demography). Both are optional; a scenario without them runs as before.
See docs/scenario.md (sections ``benefit`` and ``growth``) and docs/benefit.md.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.scenario.distributions import Distribution, LogNormal
from sim.scenario.home_care import HomeCareTotals, KeyHandling

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Language = Literal["nb", "en"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class VisitPurpose(_Section):
    """A kind of planned home visit (*besøk*): its length, travel, and the device replacing it."""

    on_site: Distribution = Field(
        default_factory=lambda: LogNormal(mean_value=20, sd=10, unit="min"),
        description="Time in the home per visit.",
    )
    travel: bool = Field(
        True, description="Each visit costs one leg of the zone's travel time (a round chains "
        "visits); false for visits inside care housing.",
    )
    keys: bool = Field(
        True, description="Key handling applies at a home without an e-lock; false where staff "
        "have the keys at hand (care housing at night).",
    )
    replaced_by: str | None = Field(
        None, description="Device kind that replaces these visits for users who have it.",
    )
    replaced_share: Probability = Field(
        1.0, description="Share of the visits the device replaces (each visit drawn).",
    )
    labels: dict[Language, str] = Field(
        default_factory=dict, description="Report names: {nb: ..., en: ...}.",
    )


class Searches(_Section):
    """Searches for missing persons without GPS (*leteaksjon*), in the baseline arm."""

    share: Probability = Field(
        0.5, description="Share of wanderings (GPS geofence exits) that start a home-care search "
        "in the baseline.",
    )
    staff: int = Field(2, ge=1, description="Home-care staff taking part in one search.")
    duration: Distribution = Field(
        default_factory=lambda: LogNormal(mean_value=90, sd=60, unit="min"),
        description="Time from the start of a search to finding the person.",
    )


class DirectAlarms(_Section):
    """Alarms answered directly by home care in the baseline (no response centre)."""

    devices: tuple[str, ...] = Field(
        ("safety_alarm",), description="Device kinds whose alarms exist without the technology.",
    )
    extra_visit_share: Probability = Field(
        0.0, description="Share of the alarms the centre settles without a visit that home care "
        "would visit when answering directly.",
    )


class DeviceCost(_Section):
    """What one device of a kind costs, and how long it lasts."""

    rent_per_month: NonNegative = Field(0.0, description="Rent or service fee, NOK per month.")
    installation: NonNegative = Field(0.0, description="Installation, NOK per device (again at "
                                      "each reinvestment).")
    price: NonNegative = Field(0.0, description="Purchase price, NOK per device (0 when rented; "
                               "again at each reinvestment).")
    lifetime_years: int = Field(5, ge=1, le=40, description="Years a device lasts before it is "
                                "replaced (reinvestment).")


class Costs(_Section):
    """Costs and prices in NOK."""

    hourly_cost: NonNegative = Field(
        413.0, description="Cost of one home-care staff hour (~700,000 NOK per årsverk / 1,695 h).",
    )
    operator_hourly_cost: NonNegative = Field(
        413.0, description="Cost of one response-centre operator hour on duty.",
    )
    centre_share: Probability = Field(
        1.0, description="Share of the centre's staffing this municipality pays (1 = own centre).",
    )
    rota_factor: float = Field(
        1.14, ge=1.0, le=3.0, description="Paid operator hours per hour on duty: covers sick "
        "leave, courses and handover on top of the holidays already left out of "
        "hours_per_arsverk (an assumption: 1 / (1 - 0.12)).",
    )
    licences_per_year: NonNegative = Field(0.0, description="Software licences, NOK per year.")
    centre_setup: NonNegative = Field(0.0, description="One-off cost of setting up the centre.")
    devices: dict[str, DeviceCost] = Field(
        default_factory=dict, description="Costs by device kind (kinds that exist today too, "
        "such as safety alarms, cost the same in both arms and are best left out).",
    )


class OneOffCost(_Section):
    """A one-off cost of the project (*engangskostnad*)."""

    amount: NonNegative = Field(description="NOK, in the price year's kroner.")
    year: int = Field(0, ge=0, le=39, description="Year of the analysis period it falls in "
                      "(0 = the first).")
    labels: dict[Language, str] = Field(default_factory=dict, description="Report names.")


class NonPriced(_Section):
    """An effect that is not priced, assessed with DFØ's plus/minus method (*pluss-minus-
    metoden*): from ``----`` (large negative) to ``++++`` (large positive)."""

    score: int = Field(ge=-4, le=4, description="Consequence: -4 (----) to +4 (++++).")
    affects: str = Field("users", min_length=1, max_length=40,
                         description="Who is affected: users, relatives, staff, municipality.")
    evidence: tuple[str, ...] = Field(
        (), description="metrics.json keys shown beside the assessment (never priced).",
    )
    labels: dict[Language, str] = Field(default_factory=dict, description="The effect, named.")
    reasons: dict[Language, str] = Field(default_factory=dict, description="Why this score.")


AnswerTarget = Annotated[str, Field(pattern=r"^\s*(answer)\s+\d+(\.\d+)?\s*%\s+within\s+\S+\s*$")]


class Economics(_Section):
    """The cost–benefit method (DFØ, *Veileder i samfunnsøkonomiske analyser*; Finans-
    departementet, rundskriv R-109/2021): period, prices, rates, ramp-up, one-off costs and
    which gains are cash. See docs/benefit.md, "Method"."""

    first_year: int | None = Field(
        None, ge=1900, le=2200, description="First year of the analysis period (default: the "
        "first year of the plan).",
    )
    period_years: int = Field(
        10, ge=1, le=40, description="Years in the analysis period (R-109: at most 40).",
    )
    price_year: int | None = Field(
        None, ge=1900, le=2200, description="Year whose kroner every amount is in (default: "
        "the first year).",
    )
    discount_rate: float = Field(
        0.04, ge=0.0, lt=1.0, description="Kalkulasjonsrente, real (R-109/2021: 4 % for years "
        "0-40).",
    )
    tax_cost: float = Field(
        0.20, ge=0.0, lt=1.0, description="Skattekostnad: share of net public spending "
        "(R-109/2021: 20 %).",
    )
    one_off: dict[Name, OneOffCost] = Field(
        default_factory=dict, description="One-off project, procurement, integration and "
        "training costs by name.",
    )
    cash_share: dict[str, Probability] = Field(
        default_factory=dict, description="Share of the home-care hours each technology "
        "(device kind) frees that is taken out of the budget (cash-releasing); the rest is "
        "freed capacity.",
    )
    cash_share_default: Probability = Field(
        0.0, description="Cash share of freed hours not listed in cash_share (0: all capacity).",
    )
    cash_items: dict[Name, NonNegative] = Field(
        default_factory=dict, description="Other budget costs that disappear with the "
        "technology, NOK per year at full effect.",
    )
    ramp_up: dict[str, tuple[Probability, ...]] = Field(
        default_factory=dict, description="Share of each technology's full effect in the "
        "first years of the period (1 after the list).",
    )
    non_priced: dict[Name, NonPriced] = Field(
        default_factory=dict, description="Effects not priced, with the plus/minus method.",
    )
    target: AnswerTarget = Field(
        "answer 98.5% within 60s", description="Answer target the centre's staffing must meet "
        "in every year; costs use that staffing.",
    )
    staffing: dict[int, dict[Name, Annotated[int, Field(ge=0)]]] = Field(
        default_factory=dict, description="Operators per shift by year that meet the target "
        "(recorded results of vtsim size); vtsim compare sizes the years not listed.",
    )


class Sensitivity(_Section):
    """An uncertain assumption: varied on its own for the tornado chart (low and high), and
    drawn from its distribution together with the others in the probabilistic sensitivity
    analysis (docs/benefit.md, "Uncertainty")."""

    path: str = Field(min_length=1, description="Dotted scenario path of a number.")
    low: float = Field(description="Low value.")
    high: float = Field(description="High value.")
    distribution: Literal["pert", "triangular", "uniform"] = Field(
        "pert", description="Shape of the belief between low and high in the probabilistic "
        "analysis: pert (beta, weight 4 on the most likely value), triangular or uniform.",
    )
    mode: float | None = Field(
        None, description="Most likely value (default: the scenario's value at the path).",
    )
    labels: dict[Language, str] = Field(default_factory=dict, description="Report names.")

    @model_validator(mode="after")
    def _check_range(self) -> Sensitivity:
        if self.high < self.low:
            raise ValueError(f"high ({self.high:g}) is below low ({self.low:g})")
        if self.mode is not None and not self.low <= self.mode <= self.high:
            raise ValueError(f"mode ({self.mode:g}) must lie between low ({self.low:g}) and "
                             f"high ({self.high:g})")
        return self


class Benefit(_Section):
    """The baseline arm and the prices that turn saved time into NOK (*gevinstrealisering*)."""

    hours_per_arsverk: float = Field(
        1695.0, gt=0, description="Working hours in one årsverk (37.5 h/week, a planning figure).",
    )
    purposes: dict[Name, VisitPurpose] = Field(
        default_factory=dict, description="Kinds of planned visit by name.",
    )
    planned_visits: dict[Name, dict[Name, NonNegative]] = Field(
        default_factory=dict, description="Baseline visits per user and day: profile -> purpose "
        "-> visits.",
    )
    round_leg_share: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        1.0, description="A leg of a planned round (home to home) as a share of the zone's "
        "travel_time (a trip from the base, as for alarm visits).",
    )
    key_handling: KeyHandling = Field(
        default_factory=KeyHandling,
        description="Key handling per employee per shift at homes without an e-lock.",
    )
    searches: Searches = Field(default_factory=Searches)
    direct_alarms: DirectAlarms = Field(default_factory=DirectAlarms)
    costs: Costs = Field(default_factory=Costs)
    economics: Economics = Field(default_factory=Economics)
    sensitivity: tuple[Sensitivity, ...] = Field(
        (), description="Assumptions varied one at a time (tornado chart).",
    )
    home_care_plan: dict[int, NonNegative] = Field(
        default_factory=dict, description="The municipality's projected home-service årsverk by "
        "year (interpolated between the years given).",
    )
    home_care_totals: HomeCareTotals | None = Field(
        None, description="The municipality's whole home service, to reconcile the baseline "
        "with.",
    )
    sources: dict[str, str | dict[Language, str]] = Field(
        default_factory=dict, description="Source of each assumption: dotted path -> text, or "
        "-> {nb: ..., en: ...} for the report in each language. A public document by title, "
        "publisher and year, or `antakelse:` and the reason.",
    )

    @model_validator(mode="after")
    def _check_purposes(self) -> Benefit:
        for profile, visits in self.planned_visits.items():
            for purpose in visits:
                if purpose not in self.purposes:
                    raise ValueError(
                        f"planned_visits.{profile}.{purpose}: unknown purpose; defined: "
                        f"{', '.join(sorted(self.purposes)) or 'none'}"
                    )
        return self


class Growth(_Section):
    """How user counts grow per year (demography), for multi-year plans and sizing."""

    base_year: int | None = Field(
        None, ge=1900, le=2200, description="Year of the scenario's counts (default: start's).",
    )
    rate: float = Field(0.0, gt=-1.0, description="Relative growth per year, compound.")
    profiles: dict[Name, Annotated[float, Field(gt=-1.0)]] = Field(
        default_factory=dict, description="Growth per year by user profile (overrides rate).",
    )

    def factor(self, profile: str, years: int) -> float:
        """How many times the base count a profile has ``years`` after the base year."""
        return (1.0 + self.profiles.get(profile, self.rate)) ** years
