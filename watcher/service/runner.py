"""``watcher run``: the long-running service. APScheduler drives three kinds of job:

- one poll job per enabled source, on its interval with a little jitter;
- one digest job per scheduled digest (cron in its time zone), plus a batching job per immediate digest;
- a delivery job that retries pending mail, and a watch job that reloads an edited watchlist.

A broken watchlist edit is logged with file and line and the service keeps the last good one.
SIGTERM and SIGINT stop it cleanly; SIGHUP forces a reload.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta, timezone
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from watcher.config import DigestConfig, Watchlist, load_watchlist
from watcher.digests import close_period, send_due
from watcher.errors import ConfigError
from watcher.fetch import Fetcher, FetchSettings
from watcher.mail import make_mailer
from watcher.match import Matcher, compile_matcher
from watcher.poll import Clock, describe, poll_source, utcnow
from watcher.service.schedule import parse_schedule
from watcher.settings import Settings
from watcher.store import Store

log = logging.getLogger("watcher.service")
WATCH_EVERY = timedelta(seconds=5)
DELIVER_EVERY = timedelta(minutes=1)


class Service:
    """The scheduler, the watchlist in force and the shared fetcher and store."""

    def __init__(self, config_path: Path, settings: Settings, watchlist: Watchlist, *, clock: Clock = utcnow) -> None:
        self.config_path = config_path
        self.settings = settings
        self.watchlist = watchlist
        self.matcher: Matcher = compile_matcher(watchlist.entries)
        self.clock = clock
        self.store = Store.open(settings.database_url)
        self.mailer = make_mailer(settings.smtp_url, settings.outbox)
        self.scheduler = AsyncIOScheduler(timezone=timezone.utc)
        self.fetcher: Fetcher | None = None
        self._stop = asyncio.Event()
        self._mtime = _mtime(config_path)

    async def run(self) -> None:
        """Run until SIGTERM/SIGINT (or :meth:`stop`)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        loop.add_signal_handler(signal.SIGHUP, lambda: self.reload(force=True))
        settings = FetchSettings(user_agent=self.watchlist.defaults.user_agent) \
            if self.watchlist.defaults.user_agent else FetchSettings()
        async with Fetcher(settings) as fetcher:
            self.fetcher = fetcher
            self._apply(self.watchlist)
            self.scheduler.add_job(self._deliver, IntervalTrigger(seconds=DELIVER_EVERY.total_seconds()),
                                   id="deliver", next_run_time=self.clock(), coalesce=True, max_instances=1)
            self.scheduler.add_job(self.reload, IntervalTrigger(seconds=WATCH_EVERY.total_seconds()),
                                   id="watch", coalesce=True, max_instances=1)
            self.scheduler.start()
            log.info("service started: %d sources, %d digests, database %s", len(self.watchlist.sources),
                     len(self.watchlist.digests), self.settings.database_url.split("@")[-1])
            await self._stop.wait()
            log.info("stopping")
            self.scheduler.shutdown(wait=False)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        self.store.close()
        log.info("stopped")

    def stop(self) -> None:
        self._stop.set()

    def reload(self, *, force: bool = False) -> bool:
        """Re-read the watchlist when its file changed (or when forced); keep the last good one on error."""
        mtime = _mtime(self.config_path)
        if not force and mtime == self._mtime:
            return False
        self._mtime = mtime
        try:
            watchlist = load_watchlist(self.config_path)
        except ConfigError as e:
            for problem in e.problems:
                log.error("watchlist not reloaded, keeping the last good one: %s", problem)
            return False
        self.matcher = compile_matcher(watchlist.entries)
        self.watchlist = watchlist
        self._apply(watchlist)
        log.info("watchlist reloaded: %d sources, %d digests", len(watchlist.sources), len(watchlist.digests))
        return True

    def _apply(self, watchlist: Watchlist) -> None:
        """(Re)create the poll and digest jobs of ``watchlist``."""
        self.store.sync_sources([(s.name, s.url) for s in watchlist.sources], now=self.clock())
        for job in self.scheduler.get_jobs():
            if job.id.startswith(("poll:", "digest:")):
                job.remove()
        now = self.clock()
        for index, source in enumerate(s for s in watchlist.sources if s.enabled):
            every = watchlist.interval(source).total_seconds()
            # Spread the first polls over a few seconds instead of hitting every host at once.
            first = now + timedelta(seconds=min(index * 0.2, every))
            self.scheduler.add_job(self._poll, IntervalTrigger(seconds=every, jitter=min(every * 0.05, 60)),
                                   args=[source.name], id=f"poll:{source.name}", next_run_time=first,
                                   coalesce=True, max_instances=1, misfire_grace_time=int(every))
        for digest in watchlist.digests:
            schedule = parse_schedule(digest.schedule, digest.timezone or watchlist.defaults.timezone)
            trigger = (IntervalTrigger(seconds=digest.min_interval.total_seconds()) if schedule.immediate
                       else schedule.trigger())
            self.scheduler.add_job(self._digest, trigger, args=[digest.id], id=f"digest:{digest.id}",
                                   coalesce=True, max_instances=1, misfire_grace_time=3600)

    async def _poll(self, name: str) -> None:
        source = next((s for s in self.watchlist.sources if s.name == name), None)
        if source is None or self.fetcher is None:
            return
        outcome = await poll_source(source, watchlist=self.watchlist, store=self.store, matcher=self.matcher,
                                    fetcher=self.fetcher, clock=self.clock)
        if outcome.status != "error":  # errors were already logged where they happened
            log.info("%s", describe(outcome))

    async def _digest(self, digest_id: str) -> None:
        digest: DigestConfig | None = next((d for d in self.watchlist.digests if d.id == digest_id), None)
        if digest is None:
            return
        if parse_schedule(digest.schedule, "UTC").immediate:
            digest = digest.model_copy(update={"skip_empty": True})  # alerts: only when something matched
        queued = close_period(self.store, self.watchlist, digest, now=self.clock(), sender=self.settings.mail_from)
        log.info("digest %s: %d message(s) queued", digest_id, len(queued))
        await self._deliver()

    async def _deliver(self) -> None:
        report = send_due(self.store, self.mailer, now=self.clock(), sender=self.settings.mail_from)
        if report.sent or report.retrying or report.given_up:
            log.info("deliveries: %d sent, %d retrying, %d given up", report.sent, report.retrying, report.given_up)


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def run_service(config_path: Path, settings: Settings) -> None:
    """Load the watchlist (a broken one stops the start with its problems) and run until stopped."""
    watchlist = load_watchlist(config_path)

    async def main() -> None:
        await Service(config_path, settings, watchlist).run()

    asyncio.run(main())


__all__ = ["Service", "run_service"]
