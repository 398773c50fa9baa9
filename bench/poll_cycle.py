"""The poll-cycle benchmark of issue 8: `watcher poll` against rss2email and reader on the same generated feeds.

    python bench/poll_cycle.py --quick      # a smoke run of a minute or two: small N, one run each
    python bench/poll_cycle.py              # the full run (about an hour); writes bench/RESULTS.md

Everything is on 127.0.0.1: a feed server process (N feeds of M items over 64 ports, ETag/Last-Modified/304,
K new items per feed on demand), an SMTP sink for rss2email, and each tool as a child process measured with
os.wait4 (wall, CPU, peak RSS). The peers are installed in bench/.venvs/ from the package registry on first
use. Work files go to bench/out/poll_cycle/. See bench/polling/ for the pieces.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.polling import loadcheck, peers, watcher_runs
from bench.polling.report import Results, machine, render
from bench.polling.server import FeedServer, ServerConfig
from bench.polling.watchlists import MENTIONED, actors, mentionable, write_watchlist

BENCH = Path(__file__).resolve().parent


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; --quick swaps in small sizes."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a small smoke run (N=20,40; M=10; one run each)")
    p.add_argument("--feeds", type=_ints, default=[200, 1000], help="N of the side-by-side runs")
    p.add_argument("--items", type=int, default=50, help="M items per feed")
    p.add_argument("--actors", type=int, default=500, help="T of the side-by-side runs")
    p.add_argument("--new-items", type=int, default=5, help="K new items per feed between polls")
    p.add_argument("--runs", type=int, default=3, help="runs of watcher and reader per cell")
    p.add_argument("--rss2email-runs", type=_ints, default=[3, 1],
                   help="runs of rss2email at each N of --feeds, in order (it is slow: minutes per run)")
    p.add_argument("--growth-feeds", type=_ints, default=[100, 200, 500, 1000, 2000, 5000])
    p.add_argument("--growth-actors", type=_ints, default=[50, 500, 5000], help="T values, at N = --growth-at")
    p.add_argument("--growth-at", type=int, default=1000)
    p.add_argument("--growth-runs", type=int, default=1)
    p.add_argument("--latency-ms", type=float, default=50.0, help="latency run at the largest N (0: none)")
    p.add_argument("--hosts", type=int, default=64, help="ports the feeds are spread over (distinct hosts)")
    p.add_argument("--no-peers", action="store_true")
    p.add_argument("--no-profile", action="store_true")
    p.add_argument("--work", type=Path, default=BENCH / "out" / "poll_cycle")
    p.add_argument("--report", type=Path, default=None, help="default: bench/RESULTS.md (quick: work dir)")
    args = p.parse_args(argv)
    if args.quick:
        args.feeds, args.items, args.actors, args.runs, args.rss2email_runs = [20], 10, 50, 1, [1]
        args.growth_feeds, args.growth_actors, args.growth_at, args.growth_runs = [20, 40], [50, 500], 20, 1
    if args.report is None:
        args.report = args.work / "RESULTS.md" if args.quick else BENCH / "RESULTS.md"
    return args


def workspace(args: argparse.Namespace, server: FeedServer, n: int, t: int) -> watcher_runs.Workspace:
    """A folder and a watchlist for N feeds and T actors."""
    folder = args.work / f"n{n}-t{t}"
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "watchlist.yaml"
    write_watchlist(config, server.urls, actors(t))
    return watcher_runs.Workspace(folder, config)


def main(argv: list[str] | None = None) -> Results:
    """Run every cell, rewriting the report after each N so a partial run still leaves its numbers."""
    args = arguments(argv)
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    results = Results(meta={"date": datetime.now(UTC).isoformat(timespec="seconds"), **machine(),
                            "command": "python bench/poll_cycle.py " + " ".join(sys.argv[1:] if argv is None else argv),
                            "feeds": f"M = {args.items} items per feed, {args.hosts} hosts (ports), K = "
                                     f"{args.new_items} new items per feed between polls, about 10% of items "
                                     f"mention one of the first {MENTIONED} actors"})
    versions = {}
    if not args.no_peers:
        versions = {peer.name: peers.ensure(peer) for peer in (peers.RSS2EMAIL, peers.READER)}
        results.meta["peers"] = ", ".join(f"{k} {v}" for k, v in versions.items())
    pool = mentionable(actors(MENTIONED))
    for n in sorted(set(args.feeds) | set(args.growth_feeds)):
        print(f"N = {n}: starting the feed server", flush=True)
        with FeedServer(ServerConfig(n, args.items, pool, hosts=args.hosts)) as server:
            if n == max(args.feeds):
                rate, mb = loadcheck.requests_per_second(server.urls)
                results.meta["feed server"] = (f"{rate:,.0f} requests/s ({mb:,.0f} MB/s) of full feeds to a raw "
                                               f"keep-alive client, 20 connections, N = {n}")
            run_cell(args, results, server, n)
        args.report.write_text(render(results), encoding="utf-8")
    results.meta["load average at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    args.report.write_text(render(results), encoding="utf-8")
    print(f"report: {args.report}")
    return results


def run_cell(args: argparse.Namespace, results: Results, server: FeedServer, n: int) -> None:
    """Everything measured at N feeds."""
    t = args.actors
    main_cycle = None
    if n in args.feeds:
        space = workspace(args, server, n, t)
        print(f"N = {n}: watcher, {args.runs} runs", flush=True)
        main_cycle = watcher_runs.cycle(space, server, args.runs, args.new_items)
        results.cycles.append((n, "watcher", main_cycle))
        if args.latency_ms and n == max(args.feeds):
            server.control(f"/_latency?ms={args.latency_ms}")
            slow = watcher_runs.cold_only(space, args.runs)
            server.control("/_latency?ms=0")
            results.latency.append((n, args.latency_ms, slow, main_cycle["cold"]))
        if not args.no_profile and n == max(args.feeds):
            print(f"N = {n}: profiling one cold poll", flush=True)
            results.profile = watcher_runs.profile_cold(space)
        if not args.no_peers:
            names = [s for a in actors(t) for s in (a["name"], *a.get("aliases", ()))]
            print(f"N = {n}: reader, {args.runs} runs", flush=True)
            cycle, search = peers.reader_cycle(space.folder / "reader", server, names, args.runs, args.new_items)
            results.cycles.append((n, f"reader {results.meta['peers'].split('reader ')[-1]} (workers=10)", cycle))
            results.searches.append((n, search))
            runs = args.rss2email_runs[min(args.feeds.index(n), len(args.rss2email_runs) - 1)]
            print(f"N = {n}: rss2email, {runs} runs", flush=True)
            with peers.SmtpSink() as sink:
                cycle = peers.rss2email_cycle(space.folder / "rss2email", server, sink, runs, args.new_items)
            results.cycles.append((n, "rss2email (one mail per item)", cycle))
    if n in args.growth_feeds:
        if main_cycle is not None:
            growth = {"cold": main_cycle["cold"], "warm": main_cycle["warm"]}
        else:
            print(f"N = {n}: growth, T = {t}", flush=True)
            growth = watcher_runs.cycle(workspace(args, server, n, t), server, args.growth_runs, 0)
        results.growth.append((n, t, growth))
    if n == args.growth_at:
        for other in args.growth_actors:
            if other != t:
                print(f"N = {n}: growth, T = {other}", flush=True)
                cycle = watcher_runs.cycle(workspace(args, server, n, other), server, args.growth_runs, 0)
                results.growth.append((n, other, cycle))
    results.growth.sort(key=lambda row: (row[0], row[1]))


if __name__ == "__main__":
    main()
