"""The service against `watcher poll` on the same feeds, in one run: both poll through the one poll path.

    python bench/service_poll.py                 # N = 1,000 feeds of 50 items, T = 500 actors, 3 runs
    python bench/service_poll.py --feeds 200 --runs 1

Everything is on 127.0.0.1: the poll benchmark's feed server (bench/polling/server.py). For each run, on a
fresh SQLite database each:

- ``watcher poll``, cold (every item new) then warm (every feed answers 304): wall and CPU of the process
  (os.wait4), start-up included;
- ``watcher run``, cold then warm: from the process's start until every source's poll is recorded in the
  database (read with the standard library every 20 ms), start-up included. For the warm round every source
  is made due again in the database before the service starts. The service is then stopped with SIGTERM;
  its CPU is what os.wait4 reports at exit (the idle seconds after the poll cost next to nothing).

Prints one table; the ratio is the service's wall time over `watcher poll`'s, medians of the runs.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.polling import watcher_runs
from bench.polling.measure import Sample, count_rows
from bench.polling.server import FeedServer, ServerConfig
from bench.polling.watchlists import MENTIONED, actors, mentionable, write_watchlist

BENCH = Path(__file__).resolve().parent


def recorded(database: Path, since: str) -> int:
    """Sources whose last poll attempt was recorded after ``since`` (an ISO time as SQLite stores it)."""
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute("SELECT count(*) FROM sources WHERE last_attempt_at >= ?", (since,)).fetchone()[0])
    except sqlite3.OperationalError:  # the service holds the write lock for a moment
        return -1


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process and of the children it has waited for (its forked workers)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def service_round(space: watcher_runs.Workspace, database: Path, feeds: int, label: str) -> tuple[Sample, Sample]:
    """``watcher run`` until every source's poll is recorded: once timed from the process's start (every source
    due at start), once from the moment every source falls due in the running, idle service. The second is
    the service's poll cycle as it runs for months; the first adds its one start-up."""
    with sqlite3.connect(database) as db:  # every source due now (never polled, or polled before: warm)
        db.execute("UPDATE sources SET next_due_at = NULL, lease_owner = NULL, lease_until = NULL")
    before = count_rows(database, "items", "matches")
    log = (space.folder / f"{label}.log").open("wb")
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "watcher", "run"], env=space.env(database),
                             cwd=watcher_runs.REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_recorded(child, database, since, feeds, log.name)
        cold_start = Sample(time.perf_counter() - started, cpu_seconds(child.pid), 0.0)
        after = count_rows(database, "items", "matches")
        time.sleep(1.0)  # idle
        with sqlite3.connect(database, timeout=30) as db:  # every source falls due at once
            since = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
            db.execute("UPDATE sources SET next_due_at = '2000-01-01 00:00:00.000000'")
        cpu, started = cpu_seconds(child.pid), time.perf_counter()
        wait_recorded(child, database, since, feeds, log.name)
        wall = time.perf_counter() - started
        time.sleep(0.5)  # the workers' CPU counts once the service has reaped them
        running = Sample(wall, cpu_seconds(child.pid) - cpu, 0.0)
    finally:
        child.send_signal(signal.SIGTERM)
        child.wait(60)
        log.close()
    return (Sample(cold_start.wall, cold_start.cpu, 0.0, after[0] - before[0], after[1] - before[1]), running)


def wait_recorded(child: subprocess.Popen[bytes], database: Path, since: str, feeds: int, log: str) -> None:
    """Until every source's poll is recorded after ``since``."""
    deadline = time.perf_counter() + 600
    while recorded(database, since) < feeds:
        if child.poll() is not None:
            raise RuntimeError(f"the service ended early; see {log}")
        if time.perf_counter() > deadline:
            raise RuntimeError("the service did not poll every source within 10 minutes")
        time.sleep(0.02)


def sync_sources(space: watcher_runs.Workspace, database: Path) -> None:
    """Put the watchlist's sources in a fresh database the way both commands do, before any clock starts."""
    subprocess.run([sys.executable, "-m", "watcher", "poll", "--source", "bench-0"], env=space.env(database),
                   cwd=watcher_runs.REPO, check=True, capture_output=True, timeout=300)
    with sqlite3.connect(database) as db:  # ... and forget that one poll
        db.execute("DELETE FROM matches")
        db.execute("DELETE FROM items")
        db.execute("UPDATE sources SET etag = NULL, last_modified = NULL, last_attempt_at = NULL, "
                   "last_success_at = NULL, total_items = 0, newest_item_at = NULL")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--feeds", type=int, default=1000)
    p.add_argument("--items", type=int, default=50)
    p.add_argument("--actors", type=int, default=500)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--work", type=Path, default=BENCH / "out" / "service_poll")
    args = p.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    config = args.work / "watchlist.yaml"
    kinds = ("poll cold", "poll warm", "run cold, from start", "run warm, from start", "run warm, running")
    samples: dict[str, list[Sample]] = {k: [] for k in kinds}
    with FeedServer(ServerConfig(args.feeds, args.items, mentionable(actors(MENTIONED)))) as server:
        write_watchlist(config, server.urls, actors(args.actors))
        space = watcher_runs.Workspace(args.work, config)
        for run in range(args.runs):
            print(f"run {run + 1} of {args.runs}", flush=True)
            database = watcher_runs.fresh_database(space, f"poll-{run}")
            sync_sources(space, database)
            samples["poll cold"].append(watcher_runs.measured_poll(space, database, f"poll-cold-{run}"))
            samples["poll warm"].append(watcher_runs.measured_poll(space, database, f"poll-warm-{run}"))
            database = watcher_runs.fresh_database(space, f"service-{run}")
            sync_sources(space, database)
            cold, _ = service_round(space, database, args.feeds, f"service-cold-{run}")
            warm, running = service_round(space, database, args.feeds, f"service-warm-{run}")
            samples["run cold, from start"].append(cold)
            samples["run warm, from start"].append(warm)
            samples["run warm, running"].append(running)
    print(f"\nN = {args.feeds} feeds x {args.items} items, T = {args.actors} actors, {args.runs} runs (medians), "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| poll | wall s | CPU s | against `watcher poll` | items | matches |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind in kinds:
        base = samples["poll cold" if "cold" in kind else "poll warm"]
        wall, cpu = statistics.median(s.wall for s in samples[kind]), statistics.median(s.cpu for s in samples[kind])
        ratio = wall / statistics.median(s.wall for s in base)
        print(f"| {kind} | {wall:.2f} | {cpu:.2f} | {ratio:.2f}x | {samples[kind][0].items} | "
              f"{samples[kind][0].matches} |")


if __name__ == "__main__":
    main()
