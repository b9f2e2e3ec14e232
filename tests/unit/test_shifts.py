"""Shift schedules: instances over the horizon, coverage of the day."""

from __future__ import annotations

from sim.model.shifts import shift_instances
from sim.scenario.schema import Shift
from sim.scenario.staffing import operators_on_duty


def shift(name: str, start: str, end: str, operators: int) -> Shift:
    return Shift(name=name, start=start, end=end, operators=operators)


def test_night_shift_crosses_midnight_and_day_one_starts_mid_shift() -> None:
    night = shift("night", "23:00", "07:00", 2)
    instances = shift_instances([(night, 2)], horizon=2 * 86400)
    assert [(i.start, i.end) for i in instances] == [
        (0.0, 7 * 3600.0), (23 * 3600.0, 31 * 3600.0), (47 * 3600.0, 55 * 3600.0)]


def test_all_day_shift_is_one_continuous_instance() -> None:
    instances = shift_instances([(shift("all", "00:00", "24:00", 14), 14)], horizon=3 * 86400)
    assert [(i.start, i.end, i.count) for i in instances] == [(0.0, 3 * 86400.0, 14)]


def test_empty_shifts_are_skipped() -> None:
    assert shift_instances([(shift("day", "07:00", "15:00", 0), 0)], horizon=86400) == []


def test_coverage_of_the_day() -> None:
    shifts = [shift("day", "07:00", "15:00", 3), shift("evening", "15:00", "23:00", 2),
              shift("night", "23:00", "07:00", 1), shift("peak", "08:00", "11:00", 1)]
    assert operators_on_duty(shifts) == [
        (0.0, 7 * 3600.0, 1), (7 * 3600.0, 8 * 3600.0, 3), (8 * 3600.0, 11 * 3600.0, 4),
        (11 * 3600.0, 15 * 3600.0, 3), (15 * 3600.0, 23 * 3600.0, 2), (23 * 3600.0, 86400.0, 1)]
