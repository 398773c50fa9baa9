"""Reading a large watchlist: the fast YAML reader (libyaml events) beside ruamel.yaml, in the same run.

Run from the repository root: `python bench/config_speed.py [--actors 500] [--sources 1000] [--rounds 5]`.
Times are CPU seconds (the machine may be shared), the median of ``rounds`` readings of the same text; both
readings end in the same validated watchlist (checked here too), so the difference is the YAML reader alone.
This is the figure quoted at the top of ``watcher/config/fastyaml.py``: every ``check``, ``reload`` and
service start reads the watchlist once.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.polling.watchlists import actors, write_watchlist
from watcher.config.loader import _parse_plain, _parse_with_lines


def cpu_median(read: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.process_time()
        read()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, default=500)
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "watchlist.yaml"
        write_watchlist(path, [f"http://127.0.0.1:9/f{i}.xml" for i in range(args.sources)], actors(args.actors))
        text = path.read_text(encoding="utf-8")
    fast = _parse_plain(text)
    if fast is None or fast != _parse_with_lines(text, "watchlist.yaml"):
        sys.exit("the fast reader did not give ruamel's watchlist: nothing to compare")
    fast_s = cpu_median(lambda: _parse_plain(text), args.rounds)
    ruamel_s = cpu_median(lambda: _parse_with_lines(text, "watchlist.yaml"), args.rounds)
    print(f"watchlist: {args.actors} actors, {args.sources} sources, {len(text):,} characters")
    print(f"{'reader':<26}{'CPU s (median)':>16}")
    print(f"{'fast (libyaml events)':<26}{fast_s:>16.3f}")
    print(f"{'ruamel.yaml round-trip':<26}{ruamel_s:>16.3f}")
    print(f"ruamel / fast: {ruamel_s / fast_s:.1f}x")


if __name__ == "__main__":
    main()
