"""``watcher status`` and ``watcher reload``: what the running service(s) do, read from the shared database."""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from watcher.commands.context import Context, iso, now
from watcher.config import Watchlist, parse_watchlist
from watcher.config.placeholders import display
from watcher.errors import ConfigError
from watcher.models import ChannelState
from watcher.redact import redact_text
from watcher.sources.health import STATES, Assessment, assess_stored
from watcher.store.scheduling import INSTANCE_PREFIX, RELOAD_KEY, SourceSchedule

ALIVE_WITHIN = timedelta(seconds=30)  # heartbeats come every 5 s
NEXT_RUNS = 5


def on_disk(path: Path) -> tuple[str | None, Watchlist | None, list[str]]:
    """The watchlist file's SHA-256, the watchlist if it is valid, and its problems (file:line) if not."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        return None, None, [f"{path}: cannot read: {e.strerror}"]
    try:
        return hashlib.sha256(raw).hexdigest(), parse_watchlist(raw.decode("utf-8"), str(path)), []
    except UnicodeDecodeError as e:
        return hashlib.sha256(raw).hexdigest(), None, [f"{path}: not UTF-8: {e}"]
    except ConfigError as e:
        return hashlib.sha256(raw).hexdigest(), None, e.problems


def watchlist_status(path: Path, instances: Mapping[str, tuple[dict[str, Any], datetime]]) -> dict[str, Any]:
    """Whether the file on disk is the watchlist every running service has in force, and why not."""
    sha, _, problems = on_disk(path)
    loaded = {key.removeprefix(INSTANCE_PREFIX): value for key, (value, _) in instances.items()}
    in_force = sorted({str(sha) for v in loaded.values() if (sha := (v.get("watchlist") or {}).get("sha256"))})
    errors = [v["reload_error"] for v in loaded.values() if v.get("reload_error")]
    why: str | None = None
    if not loaded:
        why = "no service is running"
    elif problems:
        why = "the file on disk is invalid; the services keep the last good watchlist: " + "; ".join(problems)
    elif in_force != [sha]:
        why = ("a reload failed: " + "; ".join(errors[0]["problems"]) if errors
               else "the file changed and the services have not picked it up yet (they check every 5 s)")
    return {"path": str(path), "sha256": sha, "in_force": why is None, "in_force_sha256": in_force, "why": why,
            "problems": problems, "reload_errors": errors}


def build_status(*, path: Path, instances: Mapping[str, tuple[dict[str, Any], datetime]],
                 sources: Sequence[Assessment], schedules: Mapping[str, SourceSchedule], deliveries: dict[str, int],
                 backend: str, size: int | None, moment: datetime,
                 channels: Sequence[ChannelState] = ()) -> dict[str, Any]:
    """Everything ``watcher status`` shows, as JSON-able data (pure: the command gathers the inputs)."""
    alive = {k: v for k, v in instances.items() if moment - v[1] <= ALIVE_WITHIN}
    states = dict.fromkeys(STATES, 0)
    for source in sources:
        states[source.state] += 1
    due = sorted(((s.next_due_at, s.name) for s in schedules.values()
                  if s.next_due_at is not None and not s.disabled_reason), key=lambda pair: pair[0])
    return {
        "now": iso(moment),
        "services": [{"instance": key.removeprefix(INSTANCE_PREFIX), "host": value.get("host"),
                      "pid": value.get("pid"), "started_at": value.get("started_at"),
                      "uptime_s": _uptime(value.get("started_at"), moment), "last_seen": iso(seen),
                      "in_flight": value.get("in_flight")} for key, (value, seen) in alive.items()],
        "stopped_or_dead": sorted(k.removeprefix(INSTANCE_PREFIX) for k in instances if k not in alive),
        "watchlist": watchlist_status(path, alive),
        "sources": states,
        "next_runs": [{"source": name, "due": iso(when)} for when, name in due[:NEXT_RUNS]],
        "deliveries": deliveries,
        "channels": [{"digest": c.digest_id, "channel": display(c.channel), "pending": c.pending, "sent": c.sent,
                      "failed": c.failed, "attempts": c.attempts, "last_error": c.last_error,
                      "next_attempt_at": iso(c.next_attempt_at)} for c in channels],
        "database": {"backend": backend, "size_bytes": size},
    }


def _uptime(started: str | None, moment: datetime) -> int | None:
    try:
        return int((moment - datetime.fromisoformat(started)).total_seconds()) if started else None
    except ValueError:
        return None


def format_status(status: dict[str, Any]) -> str:
    """The human-readable report."""
    lines = []
    for s in status["services"]:
        lines.append(f"service {s['instance']}: up {timedelta(seconds=s['uptime_s'] or 0)}, "
                     f"{s['in_flight']} polls in flight")
    if not status["services"]:
        lines.append("service: not running")
    w = status["watchlist"]
    lines.append(f"watchlist {w['path']}: " + ("in force" if w["in_force"] else f"NOT in force: {w['why']}"))
    lines.append("sources: " + ", ".join(f"{n} {state}" for state, n in status["sources"].items() if n))
    for run in status["next_runs"]:
        lines.append(f"  next: {run['source']} at {run['due']}")
    d = status["deliveries"]
    lines.append(f"deliveries: {d['pending']} pending, {d['failed']} failed, {d['sent']} sent")
    for c in status.get("channels", ()):
        line = f"  channel {c['channel']} ({c['digest']}): {c['pending']} pending, {c['failed']} failed, {c['sent']} sent"
        if c["last_error"]:
            line += f"; {'retrying at ' + c['next_attempt_at'] if c['next_attempt_at'] else 'given up'}"
            line += f" after {c['attempts']} attempt(s): {c['last_error']}"
        lines.append(line)
    size = status["database"]["size_bytes"]
    lines.append(f"database: {status['database']['backend']}, "
                 + (f"{size / 1e6:.1f} MB" if size is not None else "size unknown"))
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace, ctx: Context) -> int:
    """Uptime, watchlist in force, sources by state, next runs, deliveries, database size."""
    moment = now()
    with ctx.store() as store:
        status = build_status(path=ctx.config_path, instances=store.get_states(INSTANCE_PREFIX),
                              sources=assess_stored(store, on_disk(ctx.config_path)[1], now=moment),
                              schedules=store.source_schedules(),
                              deliveries=store.delivery_counts(), backend=store.backend,
                              size=store.database_size(), moment=moment, channels=store.channel_deliveries())
    text = json.dumps(status, ensure_ascii=False, indent=2) if args.json else format_status(status)
    print(redact_text(text, ctx.settings.secrets))  # errors quoted from stored rows may hold a URL
    return 0


def cmd_reload(args: argparse.Namespace, ctx: Context) -> int:
    """Ask every running service to reload the watchlist now, and report what each made of it."""
    requested = now()
    with ctx.store() as store:
        store.put_state(RELOAD_KEY, {"requested_at": requested.isoformat()}, now=requested)
        deadline = time.monotonic() + args.wait
        while True:
            alive = {k: v for k, (v, seen) in store.get_states(INSTANCE_PREFIX).items()
                     if now() - seen <= ALIVE_WITHIN}
            done = {k: v for k, v in alive.items() if _answered(v, requested)}
            if len(done) == len(alive) or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
    if not alive:
        print("no service is running; it reads the watchlist when it starts")
        return 0
    failed = 0
    for key, value in sorted(alive.items()):
        name = key.removeprefix(INSTANCE_PREFIX)
        if key not in done:
            print(f"{name}: no answer yet (it checks every 5 s)")
        elif value.get("reload_error"):
            failed += 1
            print(f"{name}: kept the last good watchlist: " + "; ".join(value["reload_error"]["problems"]))
        else:
            print(f"{name}: reloaded ({value['watchlist']['sources']} sources)")
    return 1 if failed else 0


def _answered(value: dict[str, Any], requested: datetime) -> bool:
    stamps = [(value.get("watchlist") or {}).get("loaded_at"), (value.get("reload_error") or {}).get("at")]
    return any(s and datetime.fromisoformat(s) >= requested for s in stamps)


__all__ = ["build_status", "cmd_reload", "cmd_status", "format_status", "on_disk", "watchlist_status"]
