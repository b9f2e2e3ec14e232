"""Progress of a run in the terminal: simulated days done across the replications, and the
time left, so that a long replication shows it is moving."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column
from rich.text import Text

from reports.i18n import format_number, text

DAY = 86400.0
BAR_WIDTH = 16
TITLE_WIDTH = 22
"""Widest title shown beside the bar (longer scenario names are cut with "…")."""


class DaysColumn(ProgressColumn):
    """``1 234/3 650 d``: simulated days done of all replications' days."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def render(self, task: Task) -> Text:
        """The days done and in all."""
        total = format_number(task.total, self.lang, 0) if task.total is not None else "?"
        done = format_number(task.completed, self.lang, 0)
        return Text(f"{done}/{total} {text(self.lang, 'days_short')}", style="progress.download")


@dataclass(slots=True)
class RunProgress:
    """What the bar shows: each replication's simulated time, and how many have finished."""

    progress: Progress
    task: TaskID
    title: str
    horizon: float
    count: int
    lang: str
    reached: dict[int, float] = field(default_factory=dict)
    finished: int = 0

    def advance(self, index: int, now: float) -> None:
        """Replication ``index`` has reached simulated second ``now``."""
        self.reached[index] = min(now, self.horizon)
        self.show()

    def finish(self, index: int) -> None:
        """Replication ``index`` is done."""
        self.reached[index] = self.horizon
        self.finished += 1
        self.show()

    def show(self) -> None:
        """Update the bar."""
        self.progress.update(self.task, completed=sum(self.reached.values()) / DAY,
                             description=self.describe())

    def describe(self) -> str:
        """``lier-2026 3/10``: the title and the replications finished."""
        return f"{self.title} {self.finished}/{self.count}"


@contextmanager
def run_progress(console: Console, title: str, horizon: float, count: int,
                 lang: str) -> Iterator[RunProgress]:
    """A progress bar over the simulated days of ``count`` replications of ``horizon``
    seconds, with elapsed time and time left; fits in 80 columns."""
    columns = (TextColumn("[bold]{task.description}",
                          table_column=Column(max_width=TITLE_WIDTH, no_wrap=True,
                                              overflow="ellipsis")),
               BarColumn(bar_width=BAR_WIDTH), DaysColumn(lang), TimeElapsedColumn(),
               TextColumn(text(lang, "time_left")), TimeRemainingColumn())
    with Progress(*columns, console=console, expand=False) as progress:
        tracker = RunProgress(progress, progress.add_task(title, total=count * horizon / DAY),
                              title, horizon, count, lang)
        tracker.show()
        yield tracker
