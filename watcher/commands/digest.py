"""``watcher digest [ID] [--preview|--send|--retry]``: show any period, close the period and deliver, or resend."""

from __future__ import annotations

import argparse
import json
import os

from watcher.channels import Channels, check_watchlist
from watcher.commands.context import Context, now, parse_when
from watcher.config import DigestConfig, Watchlist
from watcher.delivery import send_due
from watcher.errors import ConfigError
from watcher.mail import make_mailer
from watcher.periods import close_period, preview
from watcher.report import digest_to_json, render_html, render_text


def cmd_digest(args: argparse.Namespace, ctx: Context) -> int:
    """Preview (default) or send one digest, or every digest when no id is given."""
    if (args.send or args.retry) and (args.since or args.until):
        raise ConfigError("--since/--until only go with --preview: a sent digest always covers the time since the last one")
    watchlist = ctx.watchlist()
    digests = chosen(watchlist, args.id, ctx)
    moment = now()
    with ctx.store() as store:
        if not args.send and not args.retry:
            since = parse_when(args.since, now=moment) if args.since else None
            until = parse_when(args.until, now=moment) if args.until else None
            for digest in digests:
                built = preview(store, watchlist, digest, now=moment, since=since, until=until)
                if args.format == "json":
                    print(json.dumps(digest_to_json(built), ensure_ascii=False, indent=2))
                else:
                    print(render_html(built) if args.format == "html" else render_text(built))
            return 0
        check_watchlist(watchlist, ctx.config_path, os.environ)  # a channel that cannot be sent: before any period closes
        sender = ctx.settings.mail_from
        ids = [d.id for d in digests]
        if args.retry:
            print(f"{store.reopen_failed(digest_ids=ids)} failed deliveries to send again")
        if args.send:
            for digest in digests:
                queued = close_period(store, watchlist, digest, now=moment, sender=sender)
                print(f"digest {digest.id}: {len(queued)} message(s) queued")
        # What is pending is sent now, not at its next backoff: someone asked for it.
        report = send_due(store, make_mailer(ctx.settings.smtp_url, ctx.settings.outbox), now=moment, sender=sender,
                          digest_ids=ids, retry_now=True, channels=Channels(os.environ))
    where = (ctx.settings.smtp_url and "over SMTP") or f"to {ctx.settings.outbox}/"
    if any(d.notify for d in digests):
        where += " and to channels"
    print(f"sent {report.sent} {where}, {report.retrying} pending retry, {report.given_up} given up")
    return 0 if not report.retrying and not report.given_up else 1


def chosen(watchlist: Watchlist, digest_id: str | None, ctx: Context) -> list[DigestConfig]:
    """The digest named ``digest_id``, or every digest."""
    if not watchlist.digests:
        raise ConfigError(f"{ctx.config_path} has no digests: add one under `digests:`")
    if digest_id is None:
        return list(watchlist.digests)
    for digest in watchlist.digests:
        if digest.id == digest_id:
            return [digest]
    known = ", ".join(d.id for d in watchlist.digests)
    raise ConfigError(f"no digest with id {digest_id!r} in {ctx.config_path} (digests: {known})")
