"""The Markdown report: the machine, the versions, and the tables, from results held in plain data."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .measure import Sample, Summary

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Results:
    """Everything one benchmark run measured."""

    meta: dict[str, str] = field(default_factory=dict)
    cycles: list[tuple[int, str, dict[str, Summary]]] = field(default_factory=list)  # (N, tool, kind -> summary)
    searches: list[tuple[int, dict[str, float]]] = field(default_factory=list)  # reader's search per N
    latency: list[tuple[int, float, Summary, Summary]] = field(default_factory=list)  # (N, ms, with, without)
    growth: list[tuple[int, int, dict[str, Summary]]] = field(default_factory=list)  # (N, T, kind -> summary)
    profile: tuple[Sample, list[tuple[str, float, float]], list[str]] | None = None
    notes: list[str] = field(default_factory=list)


def machine() -> dict[str, str]:
    """nproc, memory, CPU model, Python, load average, and the repository's commit."""
    info = {"nproc": str(os.cpu_count()), "python": platform.python_version(), "platform": platform.platform()}
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            info["cpu"] = line.split(":", 1)[1].strip()
            break
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal"):
            info["memory"] = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    info["load average at start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                            check=False)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "watcher"], cwd=REPO, capture_output=True,
                           text=True, check=False)
    # Other engineers edit watcher/ while it is measured: say so rather than pretend the commit is the code.
    info["watcher commit"] = (commit.stdout.strip() or "unknown") + (" (+ uncommitted changes in watcher/)"
                                                                     if dirty.stdout.strip() else "")
    return info


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _wall(s: Summary) -> str:
    return f"{s.wall:.2f} ({s.wall_min:.2f}-{s.wall_max:.2f})" if s.runs > 1 else f"{s.wall:.2f}"


def _per_item(s: Summary) -> str:
    return f"{1000 * s.cpu / s.items:.3f}" if s.items else "-"


def render(results: Results) -> str:
    """The whole report as Markdown."""
    out = ["# Poll-cycle benchmark (issue 8)", "",
           "Written by `bench/poll_cycle.py`; every number below comes from the one run described here.", ""]
    out += [f"- **{key}**: {value}" for key, value in results.meta.items()]
    if results.cycles:
        out += ["", "## One poll cycle: cold (all new), warm (all 304), then new items in every feed", "",
                ("Wall seconds as median (min-max) of the runs; CPU seconds and peak RSS of the child process; "
                "items stored and matches found as the database (or the SMTP sink, or reader) counts them."), "",
                "| N feeds | tool | poll | runs | wall s | CPU s | peak MB | items | matches |",
                "|---:|---|---|---:|---:|---:|---:|---:|---:|"]
        for n, tool, cycle in results.cycles:
            for kind, s in cycle.items():
                matches = str(s.matches) if tool.startswith("watcher") else "-"
                out.append(f"| {n:,} | {tool} | {kind} | {s.runs} | {_wall(s)} | {s.cpu:.2f} | {s.rss_mb:.0f} "
                           f"| {s.items:,} | {matches} |")
    if results.searches:
        out += ["", "## reader's search over the actor names (on a copy of the cold database, once)", "",
                "| N feeds | index (update_search) s | queries | query time s | hits | process wall s | peak MB |",
                "|---:|---:|---:|---:|---:|---:|---:|"]
        for n, r in results.searches:
            out.append(f"| {n:,} | {r['index_s']:.2f} | {int(r['queries']):,} | {r['search_s']:.2f} "
                       f"| {int(r['hits']):,} | {r['wall']:.2f} | {r['rss_mb']:.0f} |")
    if results.latency:
        out += ["", "## Latency on every request (watcher, cold)", "",
                "| N feeds | latency ms | wall s | without latency s | ratio |", "|---:|---:|---:|---:|---:|"]
        for n, ms, slow, fast in results.latency:
            out.append(f"| {n:,} | {ms:.0f} | {_wall(slow)} | {_wall(fast)} | {slow.wall / fast.wall:.2f} |")
    if results.growth:
        out += ["", "## Growth (watcher)", "",
                "| N feeds | T actors | poll | runs | wall s | CPU s | CPU ms per item | peak MB | items | matches |",
                "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
        for n, t, cycle in results.growth:
            for kind, s in cycle.items():
                out.append(f"| {n:,} | {t:,} | {kind} | {s.runs} | {_wall(s)} | {s.cpu:.2f} | {_per_item(s)} "
                           f"| {s.rss_mb:.0f} | {s.items:,} | {s.matches:,} |")
    if results.profile:
        sample, stages, lines = results.profile
        out += ["", "## Where the time of one cold `watcher poll` goes (cProfile)", "",
                f"Profiled run, in one process (WATCHER_POLL_WORKERS=1: cProfile does not follow forked workers): "
                f"{sample.wall:.2f} s wall, {sample.cpu:.2f} s CPU (cProfile itself slows it down).",
                "", "| stage | cumulative s | own s |", "|---|---:|---:|"]
        out += [f"| {label} | {cum:.2f} | {own:.2f} |" for label, cum, own in stages]
        out += ["", "Top functions by cumulative time (cumulative s, own s, calls, function):", "", "```",
                *lines, "```"]
    goals = targets(results)
    if goals:
        out += ["", "## The targets of issue 8 against this run", "", "| target | measured | met |", "|---|---|---|",
                *[f"| {goal} | {measured} | {'yes' if met else 'no'} |" for goal, measured, met in goals]]
    if results.notes:
        out += ["", "## Notes", "", *[f"- {note}" for note in results.notes]]
    return "\n".join(out) + "\n"


def _cell(results: Results, n: int, tool: str, kind: str) -> Summary | None:
    return next((c[kind] for size, name, c in results.cycles if size == n and name.startswith(tool) and kind in c),
                None)


def targets(results: Results, n: int = 1000) -> list[tuple[str, str, bool]]:
    """(target, what was measured, met) for each target of issue 8 that this run measured."""
    out: list[tuple[str, str, bool]] = []
    for kind, limit in (("cold", 4.0), ("warm", 1.0), ("5 new", 3.0)):
        s = _cell(results, n, "watcher", kind)
        if s is not None:
            out.append((f"{kind} poll at N = {n:,} at most {limit:g} s", f"{s.wall:.2f} s", s.wall <= limit))
    for kind, factor in (("cold", 10.0), ("warm", 2.0)):
        ours, theirs = _cell(results, n, "watcher", kind), _cell(results, n, "reader", kind)
        if ours is not None and theirs is not None:
            ratio = theirs.wall / ours.wall
            out.append((f"{kind}: at least {factor:g}x faster than reader", f"{ratio:.2f}x", ratio >= factor))
    peaks = [s.rss_mb for size, name, c in results.cycles if name == "watcher" for s in c.values()]
    peaks += [s.rss_mb for _, _, c in results.growth for s in c.values()]
    if peaks:
        out.append(("peak memory under 250 MB", f"{max(peaks):.0f} MB", max(peaks) < 250))
    for label, rows, limit in (("N", [(g[0], g[2]["cold"]) for g in results.growth if g[1] == _main_t(results)], 1.2),
                               ("T", [(g[1], g[2]["cold"]) for g in results.growth if g[0] == _growth_n(results)], 1.5)):
        per_item = [(x, s.cpu / s.items) for x, s in sorted(rows, key=lambda row: row[0]) if s.items]
        if len(per_item) > 1:
            ratio = per_item[-1][1] / per_item[0][1]
            goal = "flat (within 1.2x)" if label == "N" else "at most 1.5x"
            out.append((f"CPU per item from {label} = {per_item[0][0]:,} to {per_item[-1][0]:,} {goal}",
                        f"{1000 * per_item[0][1]:.3f} -> {1000 * per_item[-1][1]:.3f} ms ({ratio:.2f}x)",
                        ratio <= limit))
    for size, ms, slow, fast in results.latency:
        ratio = slow.wall / fast.wall
        out.append((f"cold with {ms:g} ms latency within 1.5x (N = {size:,})", f"{ratio:.2f}x", ratio <= 1.5))
    return out


def _main_t(results: Results) -> int:
    counts: dict[int, int] = {}
    for _, t, _ in results.growth:
        counts[t] = counts.get(t, 0) + 1
    return max(counts, key=lambda t: counts[t]) if counts else 0


def _growth_n(results: Results) -> int:
    counts: dict[int, int] = {}
    for n, _, _ in results.growth:
        counts[n] = counts.get(n, 0) + 1
    return max(counts, key=lambda n: counts[n]) if counts else 0
