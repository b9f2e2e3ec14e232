"""The two arms of a comparison: home care without the technology (baseline) and with it.

The *technology* arm is the simulated response centre: devices replace planned visits, and their
own alarms escalate to calls and visits (a missed dose is a call, and a visit if the call fails).
The *baseline* arm is the same users on the same days without the technology: every planned
visit is made, every home is opened with a key, alarms of the devices that exist today (safety
alarms) are answered directly by home care, and people who wander off are searched for without
a position. Key handling is an overhead per employee per shift: each arm's visiting work at homes
with keys is counted in employee-shifts, and each such shift handles keys once. Both arms are
built from one replication's records and draws, so their difference is the effect of the
technology (common random numbers).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from sim.benefit.planned_visits import LOCK, PlannedDraw
from sim.model.fleet import Fleet
from sim.model.randomness import Streams
from sim.model.records import IncidentRecord, RunLog
from sim.scenario.benefit import Benefit
from sim.scenario.home_care import KeyHandling
from sim.scenario.schema import Scenario

ARMS = ("baseline", "technology")
COMPONENTS = ("travel", "on_site", "key_handling", "alarm_answering", "search")
"""Where home-care staff time goes: travel, in the home, keys, answering alarms, searching."""

ALARM = "alarm"
SEARCH = "search"
GPS = "gps_tracker"
WANDERING = "geofence_exit"
SETTLED_WITHOUT_VISIT = ("resolved_remotely", "relatives_called")


@dataclass(slots=True)
class ArmAccount:
    """Visits and staff time of one arm in one replication."""

    visits: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COMPONENTS, 0.0))
    keyed_work_s: float = 0.0
    """Visiting work (travel and time in the home) at homes opened with a key."""
    lock_work_s: float = 0.0
    """Visiting work at homes opened with an e-lock (where keys would otherwise be used)."""
    device_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    """Staff time by the device kind it is attributed to ("" for none): the planned visits a
    device replaces, keys an e-lock spares, the visits and answering of a device's alarms,
    searches (GPS). The difference between the arms is each technology's effect."""
    keyed_work_by_device: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    """``keyed_work_s`` by the device kind its key handling is attributed to."""

    def add_visits(self, purpose: str, device: str, count: int) -> None:
        """Count visits of a purpose attributed to a device kind ("" for none)."""
        self.visits[(purpose, device)] += count

    def add_time(self, component: str, seconds: float, device: str = "") -> None:
        """Add staff time to a component, attributed to a device kind ("" for none)."""
        self.seconds[component] += seconds
        self.device_seconds[device] += seconds

    def add_keyed_work(self, seconds: float, device: str = "") -> None:
        """Visiting work at homes opened with a key, its keys attributed to a device kind."""
        self.keyed_work_s += seconds
        self.keyed_work_by_device[device] += seconds

    def handle_keys(self, key_handling: KeyHandling) -> None:
        """Key handling of the employee-shifts that the work at keyed homes fills (linear in
        the work, so it is attributed to device kinds in proportion to their keyed work, and the
        e-lock homes still in keyed rounds to the e-lock)."""
        self.seconds["key_handling"] = key_handling.seconds_for(self.keyed_work_s,
                                                                self.lock_work_s)
        for device, work in self.keyed_work_by_device.items():
            self.device_seconds[device] += key_handling.seconds_for(work)
        self.device_seconds[LOCK] += key_handling.seconds_for(0.0, self.lock_work_s)

    def key_shifts(self, key_handling: KeyHandling) -> float:
        """Employee-shifts that handle keys."""
        return key_handling.shifts_for(self.keyed_work_s, self.lock_work_s)

    @property
    def total_visits(self) -> int:
        """All visits of the arm."""
        return sum(self.visits.values())

    @property
    def total_seconds(self) -> float:
        """All home-care staff time of the arm."""
        return sum(self.seconds.values())


@dataclass(frozen=True, slots=True)
class AlarmVisit:
    """A visit dispatched for an alarm in the technology arm, with the incident behind it."""

    device: str
    event: str
    has_lock: bool
    travel_s: float
    on_site_s: float
    response_s: float


def window_incidents(log: RunLog, window: tuple[float, float]) -> list[IncidentRecord]:
    """Incidents that reached the centre in the measurement window."""
    return [r for r in log.incidents if window[0] <= r.t_received < window[1]]


def alarm_visits(scenario: Scenario, log: RunLog, fleet: Fleet,
                 window: tuple[float, float]) -> list[AlarmVisit]:
    """The technology arm's alarm visits in the window; unfinished ones take the mean times."""
    incidents = {r.incident_id: r for r in log.incidents}
    rows = [v for v in log.visits if window[0] <= v.t_alarm < window[1]]
    travel_mean = {z.name: z.travel_time.mean for z in scenario.zones}
    on_site_mean = scenario.visits.on_site.mean
    locked = locked_homes(fleet)
    out = []
    for v in rows:
        incident = incidents[v.incident_id]
        there = v.t_arrived - v.t_assigned
        back = v.t_returned - v.t_departed
        stay = v.t_departed - v.t_arrived
        travel = there + back if not math.isnan(there + back) else 2 * travel_mean[v.zone]
        out.append(AlarmVisit(
            incident.device_type, incident.event, incident.device_id in locked, travel,
            stay if not math.isnan(stay) else on_site_mean,
            v.t_arrived - v.t_alarm,
        ))
    return out


def locked_homes(fleet: Fleet) -> set[str]:
    """Ids of every device in a home that has an e-lock."""
    group = fleet.groups.get("e_lock")
    lock_users = {d.user for d in group.devices} if group else set()
    return {i for i, d in fleet.by_id.items() if d.user in lock_users}


def technology_arm(benefit: Benefit, planned: list[PlannedDraw],
                   visits: list[AlarmVisit]) -> ArmAccount:
    """Planned visits the devices do not replace, and the visits their alarms cause; homes with
    an e-lock need no keys."""
    arm = ArmAccount()
    for draw in planned:
        kept = ~draw.replaced
        add_planned(arm, draw, kept, keyed=kept & ~draw.has_lock if draw.keys else None)
        if draw.keys:
            locked = kept & draw.has_lock
            arm.lock_work_s += float(draw.travel_s[locked].sum() + draw.on_site_s[locked].sum())
    for visit in visits:
        arm.add_visits(SEARCH if visit.device == GPS else ALARM, visit.device, 1)
        add_visit_time(arm, visit.travel_s, visit.on_site_s, keyed=not visit.has_lock,
                       device=visit.device)
        if visit.has_lock:
            arm.lock_work_s += visit.travel_s + visit.on_site_s
    arm.handle_keys(benefit.key_handling)
    return arm


def add_planned(arm: ArmAccount, draw: PlannedDraw, made: np.ndarray,
                keyed: np.ndarray | None) -> None:
    """Add the planned visits selected by ``made``; those selected by ``keyed`` open with a key.
    The time of visits a device replaces (and their keys) is attributed to it, keys at a home
    with an e-lock to the e-lock, the rest to no device (it is the same in both arms)."""
    with_device = made & draw.has_device
    arm.add_visits(draw.purpose, draw.device, int(with_device.sum()))
    arm.add_visits(draw.purpose, "", int((made & ~draw.has_device).sum()))
    for part, device in ((made & draw.replaced, draw.device), (made & ~draw.replaced, "")):
        add_visit_time(arm, float(draw.travel_s[part].sum()), float(draw.on_site_s[part].sum()),
                       keyed=False, device=device)
    if keyed is not None:
        work = draw.travel_s + draw.on_site_s
        arm.add_keyed_work(float(work[keyed & draw.replaced].sum()), draw.device)
        arm.add_keyed_work(float(work[keyed & ~draw.replaced & draw.has_lock].sum()), LOCK)
        arm.add_keyed_work(float(work[keyed & ~draw.replaced & ~draw.has_lock].sum()))


def add_visit_time(arm: ArmAccount, travel: float, on_site: float, keyed: bool,
                   device: str = "", key_device: str | None = None) -> None:
    """Staff time of visits: travel and time in the home, counted as keyed work if ``keyed``
    (its keys attributed to ``key_device``, by default the visit's device kind)."""
    arm.add_time("travel", travel, device)
    arm.add_time("on_site", on_site, device)
    if keyed:
        arm.add_keyed_work(travel + on_site, device if key_device is None else key_device)


@dataclass(frozen=True, slots=True)
class Baseline:
    """The baseline arm and the searches it made (for the time to find a missing person)."""

    arm: ArmAccount
    search_durations_s: tuple[float, ...]
    extra_alarm_visits: int


def baseline_arm(scenario: Scenario, benefit: Benefit, planned: list[PlannedDraw],
                 visits: list[AlarmVisit], incidents: list[IncidentRecord],
                 streams: Streams) -> Baseline:
    """Every planned visit with keys, alarms answered by home care, searches without GPS."""
    arm = ArmAccount()
    for draw in planned:
        made = np.ones(draw.count, dtype=bool)
        add_planned(arm, draw, made, keyed=made if draw.keys else None)
    extra = answer_alarms_directly(scenario, benefit, arm, visits, incidents, streams)
    searches = search_without_gps(benefit, arm, incidents, streams)
    arm.handle_keys(benefit.key_handling)
    return Baseline(arm, searches, extra)


def answer_alarms_directly(scenario: Scenario, benefit: Benefit, arm: ArmAccount,
                           visits: list[AlarmVisit], incidents: list[IncidentRecord],
                           streams: Streams) -> int:
    """Home care answers the alarms of today's devices itself: phone time, the same visits as
    the centre sends, and more visits where it cannot settle the alarm remotely."""
    direct = set(benefit.direct_alarms.devices)
    for visit in visits:
        if visit.device in direct:
            arm.add_visits(ALARM, visit.device, 1)
            add_visit_time(arm, visit.travel_s, visit.on_site_s, keyed=True,
                           device=visit.device,
                           key_device=LOCK if visit.has_lock else visit.device)
    answered = [r for r in incidents if r.device_type in direct]
    for kind in sorted(direct):
        arm.add_time("alarm_answering", sum(r.t_closed - r.t_answered for r in answered
                                            if r.device_type == kind
                                            and not math.isnan(r.t_closed)), kind)
    settled = [r for r in answered if r.outcome in SETTLED_WITHOUT_VISIT]
    chance = streams.generator("benefit/direct_alarms/extra").random(len(settled))
    extra = [r for r, u in zip(settled, chance, strict=True)
             if u < benefit.direct_alarms.extra_visit_share]
    add_extra_visits(scenario, arm, extra, streams)
    return len(extra)


def add_extra_visits(scenario: Scenario, arm: ArmAccount, extra: list[IncidentRecord],
                     streams: Streams) -> None:
    """Visits home care makes to alarms the centre would settle on the phone."""
    travel_rng = streams.generator("benefit/direct_alarms/travel")
    zones = {z.name: z for z in scenario.zones}
    there_and_back = np.asarray([float(zones[r.zone].travel_time.sample_many(travel_rng, 2).sum())
                                 for r in extra], dtype=float)
    on_site = scenario.visits.on_site.sample_many(
        streams.generator("benefit/direct_alarms/on_site"), len(extra))
    kinds = np.asarray([r.device_type for r in extra], dtype=object)
    for kind in sorted(set(kinds)):
        of_kind = kinds == kind
        arm.add_visits(ALARM, kind, int(of_kind.sum()))
        add_visit_time(arm, float(there_and_back[of_kind].sum()), float(on_site[of_kind].sum()),
                       keyed=True, device=kind)


def search_without_gps(benefit: Benefit, arm: ArmAccount, incidents: list[IncidentRecord],
                       streams: Streams) -> tuple[float, ...]:
    """People who wander off (the same wanderings as the GPS arm) and are searched for."""
    wanderings = [r for r in incidents if r.device_type == GPS and r.event == WANDERING]
    started = streams.generator("benefit/searches/start").random(len(wanderings))
    searches = int((started < benefit.searches.share).sum())
    durations = benefit.searches.duration.sample_many(
        streams.generator("benefit/searches/duration"), searches)
    arm.add_visits(SEARCH, GPS, searches)
    arm.add_time("search", float(durations.sum()) * benefit.searches.staff, GPS)
    return tuple(float(d) for d in durations)
