"""Run a command as a child process and measure it: wall time, its own CPU time and peak memory (os.wait4)."""

from __future__ import annotations

import os
import signal
import sqlite3
import statistics
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Sample:
    """One measured run of a child process."""

    wall: float  # seconds
    cpu: float  # user + system seconds of the child (and its own children, which it waited for)
    rss_mb: float  # peak resident set of the child
    items: int = 0
    matches: int = 0


def run_measured(argv: Sequence[str], *, env: dict[str, str], log: Path, cwd: Path | None = None,
                 timeout: float = 3600) -> Sample:
    """Run ``argv`` with stdout and stderr to ``log``; raise CalledProcessError on a non-zero exit."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        started = time.perf_counter()
        child = subprocess.Popen(list(argv), env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        # A blocking wait4 (no polling loop stealing CPU from the child); a timer kills a hung child.
        killer = threading.Timer(timeout, child.send_signal, (signal.SIGKILL,))
        killer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
    if child.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise subprocess.CalledProcessError(child.returncode, list(argv), output=tail)
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def count_rows(database: Path, *tables: str) -> tuple[int, ...]:
    """Row counts of ``tables`` in an SQLite file, read with the standard library."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        return tuple(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)


@dataclass(frozen=True, slots=True)
class Summary:
    """Median and spread (min-max) of several samples."""

    runs: int
    wall: float
    wall_min: float
    wall_max: float
    cpu: float
    rss_mb: float
    items: int
    matches: int

    @classmethod
    def of(cls, samples: Sequence[Sample]) -> Summary:
        """Medians of every measure; spread of wall time; peak memory is the largest seen."""
        walls = [s.wall for s in samples]
        return cls(len(samples), statistics.median(walls), min(walls), max(walls),
                   statistics.median(s.cpu for s in samples), max(s.rss_mb for s in samples),
                   int(statistics.median(s.items for s in samples)), int(statistics.median(s.matches for s in samples)))
