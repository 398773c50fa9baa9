"""``watcher demo``: three weeks of fictional sample news on a local server, polled, matched and digested.

Everything runs offline on loopback, in a throwaway database, so the demo never touches the user's data. The
sample feeds are written for the moment the demo runs as, the demo digest's latest scheduled time, so its
digest shows what a real one would: the day's stories against three weeks of history.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from watcher.commands.context import Context
from watcher.commands.demo_feeds import DEMO_DATA, HISTORY_DAYS, sample_feeds
from watcher.commands.poll import poll_now
from watcher.config import Watchlist, parse_watchlist
from watcher.config.schedule import parse_schedule, previous_before
from watcher.delivery import send_due
from watcher.feedserver import serve_folder
from watcher.mail import OutboxMailer
from watcher.periods import close_period, preview
from watcher.poll import describe
from watcher.report import render_text
from watcher.store import Store
from watcher.store.migrate import upgrade


def cmd_demo(args: argparse.Namespace, ctx: Context) -> int:
    """Serve, poll, match and digest the sample feeds; print the digest and where its .eml went."""
    return run_demo(ctx, keep=args.keep, now=datetime.now(UTC))


def demo_watchlist(port: int | str) -> Watchlist:
    """The demo's watchlist, its sources on the local server's ``port``."""
    template = (DEMO_DATA / "demo-watchlist.yaml").read_text(encoding="utf-8")
    return parse_watchlist(template.replace("{port}", str(port)), "demo-watchlist.yaml")


def demo_moment(watchlist: Watchlist, now: datetime) -> datetime:
    """The demo digest's latest scheduled time at or before ``now``: the moment the demo runs as."""
    digest = watchlist.digests[0]
    schedule = parse_schedule(digest.schedule, digest.timezone or watchlist.defaults.timezone)
    fired = previous_before(schedule, now + timedelta(microseconds=1), 1)
    return fired[0] if fired else now


def run_demo(ctx: Context, *, keep: bool, now: datetime) -> int:
    """The demo as of ``now`` (tests pass a fixed moment)."""
    with tempfile.TemporaryDirectory(prefix="watcher-demo-") as tmp:
        db_path = Path("watcher-demo.db").resolve() if keep else Path(tmp) / "demo.db"
        url = f"sqlite:///{db_path}"
        at = demo_moment(demo_watchlist(0), now)
        feeds = Path(tmp) / "feeds"
        feeds.mkdir()
        for name, data in sample_feeds(at).items():
            (feeds / name).write_bytes(data)
        with serve_folder(feeds) as base:
            watchlist = demo_watchlist(base.rsplit(":", 1)[1])
            print(f"demo: serving {len(watchlist.sources)} sample feeds at {base}: {HISTORY_DAYS} days of fictional "
                  f"news up to {at:%d %B %Y %H:%M} UTC, the demo digest's latest scheduled time")
            upgrade(url)
            with Store.open(url) as store:
                poll_now(watchlist, store, [s for s in watchlist.sources if s.enabled], clock=lambda: at,
                         on_outcome=lambda o: print(describe(o), flush=True))
                outbox = OutboxMailer(ctx.settings.outbox)
                for digest in watchlist.digests[:1]:
                    # The digest about to be closed, for the terminal: a first digest, as the mailed one is.
                    print()
                    print(render_text(preview(store, watchlist, digest, now=at)))
                    close_period(store, watchlist, digest, now=at, sender=ctx.settings.mail_from)
                    send_due(store, outbox, now=at, sender=ctx.settings.mail_from)
        written = sorted(ctx.settings.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime)[-1:]
        for path in written:
            print(f"demo: the digest was written to {path}")
        if keep:
            print(f"demo: database kept at {db_path}")
    return 0
