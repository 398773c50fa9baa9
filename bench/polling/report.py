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
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    info["watcher commit"] = commit.stdout.strip() or "unknown"
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
                "Wall seconds as median (min-max) of the runs; CPU seconds and peak RSS of the child process; "
                "items stored and matches found as the database (or the SMTP sink, or reader) counts them.", "",
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
                f"Profiled run: {sample.wall:.2f} s wall, {sample.cpu:.2f} s CPU (cProfile itself slows it down).",
                "", "| stage | cumulative s | own s |", "|---|---:|---:|"]
        out += [f"| {label} | {cum:.2f} | {own:.2f} |" for label, cum, own in stages]
        out += ["", "Top functions by cumulative time (cumulative s, own s, calls, function):", "", "```",
                *lines, "```"]
    if results.notes:
        out += ["", "## Notes", "", *[f"- {note}" for note in results.notes]]
    return "\n".join(out) + "\n"
