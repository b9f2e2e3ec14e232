"""Progress within replications, the expected cost of a run, and the terminal summaries in
Bokmål and English at 80 columns."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from reports.i18n import lang_from_locale
from reports.output_folder import OutputError, check_folder_target, fresh_folder
from reports.summary import long_run_line, print_summary, target_text
from sim.analysis.aggregate import aggregate
from sim.analysis.run_cost import DAY, estimate, events_per_day, is_long
from sim.analysis.targets import TargetError, parse_target
from sim.run.progress import DayReporter
from sim.run.runner import run_replications
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario
from tests.conftest import SCENARIOS

LIER = SCENARIOS / "lier-2026.yaml"


@pytest.fixture(scope="module")
def week() -> Scenario:
    return load_scenario(LIER, {"horizon": "7d", "warmup": "1d"})


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_reports_simulated_days_and_leaves_the_results_alone(
        week: Scenario, workers: int) -> None:
    reports: list[tuple[int, float]] = []
    watched = run_replications(week, 3, 2, workers, keep_records=False,
                               on_progress=lambda i, now: reports.append((i, now)))
    plain = run_replications(week, 3, 2, 1, keep_records=False)
    assert repr([o.metrics for o in watched]) == repr([o.metrics for o in plain])  # NaN too
    assert {i for i, _ in reports} <= {0, 1}
    assert all(now % DAY == 0 and 0 < now <= week.horizon for _, now in reports)
    for index in (0, 1):
        times = [now for i, now in reports if i == index]
        assert times == sorted(times)


def test_a_day_reporter_passes_on_at_most_one_report_per_interval() -> None:
    sent: list[tuple[int, float]] = []

    class Sink:
        def put(self, item: tuple[int, float]) -> None:
            sent.append(item)

    every_time = DayReporter(4, Sink(), every=0.0)
    for day in range(1, 6):
        every_time(day * DAY)
    assert sent == [(4, day * DAY) for day in range(1, 6)]
    sent.clear()
    seldom = DayReporter(5, Sink(), every=3600.0)
    for day in range(1, 100):
        seldom(day * DAY)
    assert sent == [(5, DAY)]


def test_expected_events_match_the_simulated_messages(week: Scenario) -> None:
    outcomes = run_replications(week, 5, 3, 1, keep_records=False)
    figures = aggregate([o.metrics for o in outcomes])
    simulated = sum(figures[f"messages.{place}"].mean for place in
                    ("incident", "correlated", "duplicate", "rejected", "info"))
    per_day = simulated / figures["window.days"].mean
    expected = events_per_day(week)
    assert per_day == pytest.approx(expected, rel=0.1)


def test_telemetry_simulated_one_by_one_counts_in_the_estimate(week: Scenario) -> None:
    simulated = week.model_copy(update={"telemetry": "simulate"})
    assert events_per_day(simulated) > 10 * events_per_day(week)


def test_the_estimate_grows_with_horizon_replications_and_kept_logs(week: Scenario) -> None:
    year = week.model_copy(update={"horizon": 365 * DAY})
    century = week.model_copy(update={"horizon": 36500 * DAY})
    small, big = estimate(year, 10, 2), estimate(century, 10, 2)
    assert big.events == pytest.approx(100 * small.events)
    assert big.wall_s == pytest.approx(100 * small.wall_s)
    assert estimate(century, 10, 2, keep_records=False).memory_bytes < big.memory_bytes
    assert estimate(century, 10, 10).wall_s < big.wall_s
    assert not is_long(estimate(week, 10, 2)) and is_long(big)
    assert is_long(estimate(week.model_copy(update={"horizon": 400 * DAY}), 1, 1))
    line = long_run_line(big, "nb")
    assert "36\u00a0500 døgn" in line and "GB minne" in line


def test_norwegian_targets_read_as_the_english_ones() -> None:
    assert parse_target("svar 98,5 % innen 60 s") == parse_target("answer 98.5% within 60s")
    assert parse_target("besøk 90 % innen 45 min") == parse_target("visit 90% within 45min")
    assert parse_target("Utrykning 90 % innen 1 time") == parse_target("visit 90% within 1h")
    for target in ("answer 98.5% within 60s", "visit 90% within 45min"):
        parsed = parse_target(target)
        assert parse_target(target_text(parsed, "nb")) == parsed
        assert parse_target(target_text(parsed, "en")) == parsed
    for bad, why in (("svar 101 % innen 60 s", "at most 100"), ("svar 98 % innen 0 s", "longer"),
                     ("svar 98 % om 60 s", "Bokmål")):
        with pytest.raises(TargetError, match=why):
            parse_target(bad)


@pytest.mark.parametrize(("environ", "lang"), [
    ({"LANG": "nb_NO.UTF-8"}, "nb"), ({"LANG": "nn_NO.UTF-8"}, "nb"), ({"LANG": "no_NO"}, "nb"),
    ({"LC_ALL": "nb_NO.UTF-8", "LANG": "en_GB.UTF-8"}, "nb"),
    ({"LC_ALL": "C.UTF-8", "LANG": "nb_NO.UTF-8"}, "en"), ({"LANG": "en_US.UTF-8"}, "en"),
    ({}, "en"),
])
def test_the_language_follows_the_locale(environ: dict[str, str], lang: str) -> None:
    assert lang_from_locale(environ) == lang


def summary_at_80(scenario: Scenario, lang: str) -> str:
    outcomes = run_replications(scenario, 7, 2, 1, keep_records=False)
    console = Console(width=80, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    print_summary(console, scenario, aggregate([o.metrics for o in outcomes]), [], lang)
    return console.export_text()


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_the_summary_fits_80_columns_with_nothing_cut(week: Scenario, lang: str) -> None:
    text = summary_at_80(week, lang)
    lines = text.splitlines()
    flowing = " ".join(text.split())
    assert max(len(line) for line in lines) <= 80
    assert "…" not in text
    assert sum("±" in line for line in lines) > 20
    if lang == "nb":
        assert "trygghetsalarm: trykk, trenger hjelp" in text
        assert "hjemmebesøk" in text and "per døgn" in text
        assert any(c.isdigit() and "," in line for line in lines for c in line)
        assert "2 repetisjoner" in flowing and "fra døgn 1 til døgn 7" in flowing
    else:
        assert "safety alarm: button, needs help" in text
        assert "2 replications" in flowing and "from day 1 to day 7" in flowing


def test_fresh_folder_leaves_the_old_results_when_writing_fails(tmp_path: Path) -> None:
    out = tmp_path / "results"
    out.mkdir()
    (out / "metrics.json").write_text("old")
    with pytest.raises(OSError), fresh_folder(out) as folder:
        (folder / "metrics.json").write_text("new")
        raise OSError("disk full")
    assert (out / "metrics.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["results"]
    with fresh_folder(out) as folder:
        (folder / "run.json").write_text("new")
    assert [p.name for p in out.iterdir()] == ["run.json"]
    check_folder_target(tmp_path / "new" / "deeper", "--out")


def test_force_never_replaces_the_current_folder(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "metrics.json").write_text("{}")
    monkeypatch.chdir(results)
    for folder in (Path("."), tmp_path):
        with pytest.raises(OutputError, match="current folder"):
            check_folder_target(folder, "--out", force=True)
    check_folder_target(Path("inner"), "--out", force=True)


def test_the_bar_counts_simulated_days_of_all_replications() -> None:
    from reports.progress import run_progress

    console = Console(width=80, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    with run_progress(console, "A very long municipality name 2026", 10 * DAY, 3, "nb") as bar:
        bar.advance(0, 4 * DAY)
        bar.advance(1, 2 * DAY)
        bar.advance(0, 12 * DAY)
        task = bar.progress.tasks[0]
        assert task.total == 30 and task.completed == 12
        bar.finish(1)
        assert bar.progress.tasks[0].completed == 20
        assert bar.progress.tasks[0].description.endswith(" 1/3")
    last = console.export_text().splitlines()[-1]
    assert "20/30 døgn" in last and "igjen" in last and len(last) <= 80


def test_a_file_put_in_the_folder_during_a_run_is_never_deleted(tmp_path: Path) -> None:
    out = tmp_path / "results"
    out.mkdir()
    (out / "metrics.json").write_text("old")
    with pytest.raises(OutputError, match=r"notes\.txt") as caught, fresh_folder(out) as folder:
        (folder / "metrics.json").write_text("new")
        (out / "notes.txt").write_text("written meanwhile")
    assert (out / "notes.txt").read_text() == "written meanwhile"
    kept = next(p for p in tmp_path.iterdir() if p.name.startswith(".results.writing"))
    assert (kept / "metrics.json").read_text() == "new" and str(kept) in str(caught.value)
