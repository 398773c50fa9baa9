"""`watcher poll` as a user runs it: a subprocess on a fresh SQLite database, cold, warm and after new items."""

from __future__ import annotations

import os
import pstats
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .measure import Sample, Summary, count_rows, run_measured
from .server import FeedServer

REPO = Path(__file__).resolve().parents[2]
# Where the time of a poll goes: (stage, file fragment, function name) as cProfile names them.
# The profiled poll runs in one process (WATCHER_POLL_WORKERS=1): cProfile does not follow forked workers.
STAGES = (("start-up: read the watchlist", "watcher/config/loader.py", "load_watchlist"),
          ("start-up: compile the matcher", "watcher/match", "compile_matcher"),
          ("fetch (CPU inside the fetcher)", "watcher/fetch/fetcher.py", "fetch"),
          ("parse", "watcher/parse/feed.py", "parse_feed"),
          ("match", "watcher/match/matcher.py", "match"),
          ("store: recent keys", "watcher/store/items.py", "recent_keys"),
          ("decide", "watcher/poll/decider.py", "decide_next_poll"),
          ("store: items, matches and source state", "watcher/store/polls.py", "record_polls"))


@dataclass(frozen=True, slots=True)
class Workspace:
    """A watchlist for one (N, T) and a folder for its databases and logs."""

    folder: Path
    config: Path

    def env(self, database: Path) -> dict[str, str]:
        """The environment of a `watcher` child on ``database``."""
        pythonpath = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
        return dict(os.environ, WATCHER_CONFIG=str(self.config), WATCHER_DATABASE_URL=f"sqlite:///{database}",
                    WATCHER_LOG_LEVEL="ERROR", PYTHONPATH=pythonpath)


def _watcher(*args: str) -> list[str]:
    return [sys.executable, "-m", "watcher", *args]


def fresh_database(space: Workspace, name: str) -> Path:
    """An empty database at the schema's head (`watcher db upgrade`, not measured)."""
    database = space.folder / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    subprocess.run(_watcher("db", "upgrade"), env=space.env(database), cwd=REPO, check=True,
                   capture_output=True, timeout=300)
    return database


def measured_poll(space: Workspace, database: Path, label: str, argv: list[str] | None = None,
                  env: dict[str, str] | None = None) -> Sample:
    """One `watcher poll`, with the items and matches it added read back from the database."""
    before = count_rows(database, "items", "matches")
    sample = run_measured(argv or _watcher("poll"), env=space.env(database) | (env or {}), cwd=REPO,
                          log=space.folder / f"{label}.log")
    after = count_rows(database, "items", "matches")
    return Sample(sample.wall, sample.cpu, sample.rss_mb, after[0] - before[0], after[1] - before[1])


def cycle(space: Workspace, server: FeedServer, runs: int, new_items: int = 5) -> dict[str, Summary]:
    """Cold, warm (all 304) and, unless ``new_items`` is 0, with that many new items per feed; ``runs`` times
    each, on a fresh database per run."""
    samples: dict[str, list[Sample]] = {"cold": [], "warm": [], f"{new_items} new": []}
    for run in range(runs):
        database = fresh_database(space, f"watcher-{run}")
        samples["cold"].append(measured_poll(space, database, f"cold-{run}"))
        samples["warm"].append(measured_poll(space, database, f"warm-{run}"))
        if new_items:
            server.bump(new_items)
            samples[f"{new_items} new"].append(measured_poll(space, database, f"new-{run}"))
    return {kind: Summary.of(s) for kind, s in samples.items() if s}


def cold_only(space: Workspace, runs: int) -> Summary:
    """``runs`` cold polls, each on a fresh database."""
    return Summary.of([measured_poll(space, fresh_database(space, f"cold-only-{run}"), f"cold-only-{run}")
                       for run in range(runs)])


def profile_cold(space: Workspace, top: int = 25) -> tuple[Sample, list[tuple[str, float, float]], list[str]]:
    """One cold poll under cProfile: the sample, time per stage (cumulative, own), and the top functions."""
    database = fresh_database(space, "profiled")
    output = space.folder / "cold.prof"
    sample = measured_poll(space, database, "profiled",
                           # cli.main, not `-m watcher`: the command's quick exit would skip writing the profile.
                           [sys.executable, "-c", "import cProfile, sys; from watcher.cli import main; "
                            f"cProfile.run('main([\"poll\"])', {str(output)!r})"],
                           env={"WATCHER_POLL_WORKERS": "1"})
    stats = pstats.Stats(str(output))
    table = stats.stats  # type: ignore[attr-defined]  # {(file, line, name): (cc, nc, tt, ct, callers)}
    stages = []
    for label, fragment, name in STAGES:
        rows = [v for (file, _, func), v in table.items() if func == name and fragment in file.replace(os.sep, "/")]
        stages.append((label, sum(r[3] for r in rows), sum(r[2] for r in rows)))
    ranked = sorted(table.items(), key=lambda kv: kv[1][3], reverse=True)[:top]
    lines = [f"{v[3]:8.2f} {v[2]:8.2f} {v[1]:>9} {_short(f)}:{line}({func})" for (f, line, func), v in ranked]
    return sample, stages, lines


def _short(file: str) -> str:
    marker = "site-packages/"
    file = file.replace(os.sep, "/")
    if marker in file:
        return file.split(marker, 1)[1]
    if file.startswith(str(REPO)):
        return os.path.relpath(file, REPO)
    return file.rsplit("/", 2)[-1]
