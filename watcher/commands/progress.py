"""What `watcher poll` says while it polls and when it is done: a progress bar on a terminal (rich, the only
module that imports it), plain lines elsewhere; one line per source as it is recorded; the exit code.

Exit codes of a poll: 0 every source polled, 1 some failed, 3 every source failed (with a hint when none
answered at all: no network, or every host refused).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Self

from watcher.models import PollOutcome
from watcher.poll import describe

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

SOME_FAILED = 1
ALL_FAILED = 3


class PollReport:
    """Called with each source's outcome as it is recorded; counts, prints, and draws the bar on a terminal."""

    def __init__(self, total: int, *, echo: bool = True, live: bool | None = None) -> None:
        self.total = total
        self.echo = echo
        self.live = sys.stderr.isatty() if live is None else live
        self.done = self.items = self.matches = self.errors = 0
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Self:
        if self.live and self.total:
            # Imported only for a terminal: a poll from cron or systemd never pays for it.
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(TextColumn("polling"), BarColumn(), MofNCompleteColumn(),
                                      TextColumn("{task.fields[counts]}"), TimeElapsedColumn(),
                                      console=Console(stderr=True), transient=True)
            self._progress.start()
            self._task = self._progress.add_task("poll", total=self.total, counts=self._counts())
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()

    def __call__(self, outcome: PollOutcome) -> None:
        self.done += 1
        self.items += outcome.items_new
        self.matches += outcome.matches_new
        self.errors += outcome.status == "error"
        if self.echo:
            line = describe(outcome)
            if self._progress is not None:
                self._progress.console.print(line, markup=False, highlight=False, soft_wrap=True)
            else:
                print(line, flush=True)
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=self.done, counts=self._counts())

    def _counts(self) -> str:
        return f"{self.items} new items, {self.matches} new matches, {self.errors} errors"

    def summary(self) -> str:
        """The last line: how many sources, items, matches and errors."""
        return f"polled {self.done} sources: {self._counts()}"


def exit_code(outcomes: Sequence[PollOutcome]) -> tuple[int, str | None]:
    """The poll's exit code, and a line for stderr when something failed."""
    failed = [o for o in outcomes if o.status == "error"]
    if not failed:
        return 0, None
    if len(failed) < len(outcomes):
        return SOME_FAILED, f"watcher poll: {len(failed)} of {len(outcomes)} sources failed (see `watcher sources`)"
    if all(o.http_status is None for o in failed):
        return ALL_FAILED, (f"watcher poll: no source could be reached ({len(failed)} tried): is this machine "
                            "offline? `watcher demo` shows watcher at work on sample feeds without a network")
    return ALL_FAILED, f"watcher poll: every source failed ({len(failed)}); see `watcher sources`"
