"""Time `watcher poll` over the shared real-feed corpus served from 127.0.0.1: cold (all new), then warm (304).

    python bench/poll_corpus.py [--corpus ../shared/corpus/feeds] [--runs 3]

Each run uses a fresh SQLite database and the shipped watchlist's actors and terms; the command is run as
a subprocess, as a user runs it, so start-up time is included.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ruamel.yaml import YAML

from watcher.feedserver import serve_folder

REPO = Path(__file__).resolve().parents[1]


def watchlist_for(files: list[Path], base: str, out: Path) -> None:
    """The shipped watchlist with its sources replaced by the corpus files."""
    yaml = YAML()
    data = yaml.load((REPO / "watchlist.yaml").read_text(encoding="utf-8"))
    data["sources"] = [{"name": f.name, "url": f"{base}/{f.name}"} for f in files]
    with out.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True, timeout=600)
    return time.perf_counter() - started, done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "feeds")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    files = sorted(p for p in args.corpus.iterdir() if p.name != "MANIFEST.md")
    watcher = [sys.executable, "-m", "watcher"]
    cold, warm = [], []
    with serve_folder(args.corpus) as base, tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "watchlist.yaml"
        watchlist_for(files, base, config)
        for run in range(args.runs):
            env = dict(os.environ, WATCHER_CONFIG=str(config), WATCHER_DATABASE_URL=f"sqlite:///{tmp}/run{run}.db",
                       WATCHER_LOG_LEVEL="ERROR")
            subprocess.run([*watcher, "db", "upgrade"], env=env, check=True, capture_output=True)
            seconds, summary = timed([*watcher, "poll"], env)
            cold.append(seconds)
            print(f"run {run + 1} cold: {seconds:.2f}s  {summary}")
            seconds, summary = timed([*watcher, "poll"], env)
            warm.append(seconds)
            print(f"run {run + 1} warm: {seconds:.2f}s  {summary}")
    print(f"\n{len(files)} corpus feeds, {args.runs} runs: cold median {statistics.median(cold):.2f}s "
          f"(min {min(cold):.2f}, max {max(cold):.2f}); warm median {statistics.median(warm):.2f}s "
          f"(min {min(warm):.2f}, max {max(warm):.2f})")


if __name__ == "__main__":
    main()
