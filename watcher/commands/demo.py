"""``watcher demo``: bundled sample feeds on a local server, polled, matched and digested into the outbox.

Everything runs offline on loopback, in a throwaway database, so the demo never touches the user's data.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from watcher.commands.context import Context
from watcher.commands.poll import poll_now
from watcher.config import parse_watchlist
from watcher.delivery import send_due
from watcher.feedserver import serve_folder
from watcher.mail import OutboxMailer
from watcher.periods import close_period, preview
from watcher.poll import describe
from watcher.report import render_text
from watcher.store import Store
from watcher.store.migrate import upgrade

DEMO_DATA = Path(__file__).resolve().parents[1] / "demo_data"
# The sample news is dated 4-9 March 2026; the demo runs as of that afternoon so the digest reads as
# it would have then (recent items, no source flagged stale).
DEMO_NOW = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)


def cmd_demo(args: argparse.Namespace, ctx: Context) -> int:
    """Serve, poll, match and digest the sample feeds; print the digest and where its .eml went."""
    with tempfile.TemporaryDirectory(prefix="watcher-demo-") as tmp:
        db_path = Path("watcher-demo.db").resolve() if args.keep else Path(tmp) / "demo.db"
        url = f"sqlite:///{db_path}"
        with serve_folder(DEMO_DATA) as base:
            port = base.rsplit(":", 1)[1]
            template = (DEMO_DATA / "demo-watchlist.yaml").read_text(encoding="utf-8")
            watchlist = parse_watchlist(template.replace("{port}", port), "demo-watchlist.yaml")
            print(f"demo: serving {len(watchlist.sources)} sample feeds at {base}, "
                  f"as of {DEMO_NOW:%d %B %Y %H:%M} UTC (the sample news is fictional, dated 4-9 March 2026)")
            upgrade(url)
            with Store.open(url) as store:
                poll_now(watchlist, store, [s for s in watchlist.sources if s.enabled], clock=lambda: DEMO_NOW,
                         on_outcome=lambda o: print(describe(o), flush=True))
                outbox = OutboxMailer(ctx.settings.outbox)
                for digest in watchlist.digests[:1]:
                    deliveries = close_period(store, watchlist, digest, now=DEMO_NOW, sender=ctx.settings.mail_from)
                    send_due(store, outbox, now=DEMO_NOW, sender=ctx.settings.mail_from)
                    # The same period again, rendered for the terminal.
                    period = deliveries[0].period if deliveries else None
                    built = preview(store, watchlist, digest, now=DEMO_NOW,
                                    since=period.start if period else None, until=period.end if period else None)
                    print()
                    print(render_text(built))
        written = sorted(ctx.settings.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime)[-1:]
        for path in written:
            print(f"demo: the digest was written to {path}")
        if args.keep:
            print(f"demo: database kept at {db_path}")
    return 0
