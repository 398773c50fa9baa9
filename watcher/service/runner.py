"""``watcher run``: the long-running service. Due times live in the database; APScheduler only drives ticks:

- poll: claim due sources (a lease per source, renewed while they are polled) and poll them as one batch
  through the poll every caller uses (watcher.poll.run_poll), at most ``MAX_IN_FLIGHT`` at once;
- digests: close each digest's due period (the latest fire time not yet closed: missed runs coalesce);
- deliver: send pending mail, each delivery claimed first; watch: reload an edited watchlist, heartbeat;
- prune: drop items without matches older than the watchlist's ``retention``;
- with WATCHER_HTTP: /healthz, /metrics and the situations' feeds (/feeds/, built off the loop, kept a minute).

Several processes may share one PostgreSQL database; SQLite allows one (a lock file says so). A broken
watchlist edit is logged with file and line and the service keeps the last good one; SIGHUP or
``watcher reload`` forces a reload (a storm of them is one reload, plus one if more came during it);
SIGTERM/SIGINT stop it within seconds, giving its leases back.

The event loop only schedules and answers /healthz: whatever can block (the store, SMTP, parsing and compiling
a watchlist) runs in threads (``_off_loop``), one at a time per job, and polls run on an event loop of their own
in a thread of their own (``_PollLoop``). A mail server that never answers or a database that stops answering
holds up that job alone: the loop, /healthz and SIGTERM keep working, and the driver deadlines (SMTP conversation,
database connect, statement and keepalive timeouts, watcher.store.db) end the blocked call in the end.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import secrets
import signal
import threading
import time
from collections.abc import Callable, Coroutine
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from watcher.channels import Channels, check_watchlist
from watcher.config import SourceConfig, Watchlist, parse_watchlist
from watcher.delivery import send_due
from watcher.errors import ConfigError, WatcherError
from watcher.fetch import USER_AGENT, Fetcher, FetchSettings
from watcher.mail import make_mailer
from watcher.match import Matcher, compile_matcher
from watcher.metrics import Metrics
from watcher.models import PollOutcome
from watcher.periods import close_due
from watcher.poll import describe, run_poll
from watcher.redact import redact_url
from watcher.service.clock import Clock, utcnow
from watcher.service.http import start_http
from watcher.service.lock import FileLock, database_lock
from watcher.settings import Settings
from watcher.sources.health import STATES, assess_stored
from watcher.store import Store
from watcher.store.db import parse_url, sqlite_path
from watcher.store.scheduling import INSTANCE_PREFIX, RELOAD_KEY
from watcher.syndication import TYPES, Format, render_bounded, situation_feed

log = logging.getLogger("watcher.service")
WATCH_EVERY = timedelta(seconds=5)
DIGEST_EVERY = timedelta(seconds=5)
DELIVER_EVERY = timedelta(seconds=30)
PRUNE_EVERY = timedelta(hours=1)
TICK = timedelta(seconds=1)  # how often due sources are looked for: a cheap read while nothing is due
LEASE = timedelta(minutes=5)  # a dead holder's sources wait this long; a live one renews its leases
RENEW_EVERY = timedelta(minutes=1)
COUNT_EVERY = timedelta(minutes=1)  # sources by state, for /metrics
MAX_IN_FLIGHT = 2_000  # sources being polled at once (the fetcher bounds requests in flight)
STOP_GRACE = 5.0  # seconds in-flight polls get to finish after SIGTERM
CLEANUP_GRACE = 3.0  # seconds the leases' release gets at stop: a database that does not answer is not waited for
FEED_TTL = 60.0  # seconds a served feed is kept: readers polling it every minute cost one build
JOB_DEADLINE = 120.0  # seconds after which a job still running in its thread is reported as stalled
T = TypeVar("T")


class Service:
    """The scheduler, the watchlist in force and the shared fetcher and store."""

    def __init__(self, config_path: Path, settings: Settings, watchlist: Watchlist, *, clock: Clock = utcnow,
                 tick: timedelta = TICK, owner: str | None = None) -> None:
        self.config_path = config_path
        self.settings = settings
        self.watchlist = watchlist
        self.matcher: Matcher = compile_matcher(watchlist.entries)
        self.clock = clock
        self.tick = tick
        self.owner = owner or f"{os.uname().nodename}:{os.getpid()}:{secrets.token_hex(3)}"
        self.store = Store.open(settings.database_url)
        self.mailer = make_mailer(settings.smtp_url, settings.outbox)
        self.channels = Channels(os.environ)
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.metrics = Metrics()
        self.fetcher: Fetcher | None = None
        self.started_at = clock()
        self.in_force: dict[str, Any] = _describe(config_path, _sha256(config_path), watchlist, self.started_at)
        self.reload_error: dict[str, Any] | None = None
        self._stop = asyncio.Event()
        self._mtime = _mtime(config_path)
        self._reload_seen: str | None = None
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._last_tick = self.started_at
        self._renewed = self.started_at
        self._counted = self.started_at - COUNT_EVERY
        self._jobs: dict[str, float] = {}  # job -> monotonic start, while its thread runs
        self._reload_wanted = False
        self._reloader: asyncio.Task[None] | None = None
        self._reload_lock = threading.Lock()  # a SIGHUP's reload and the watch job's never run together
        self._polls: _PollLoop | None = None
        self.digests_checked = 0  # digest rounds done (tests wait on it)
        self.deliveries_checked = 0  # delivery rounds done (tests wait on it)
        self._feeds: dict[tuple[str, Format], tuple[float, bytes]] = {}  # (situation, format) -> (built at, body)

    async def run(self) -> None:
        """Run until SIGTERM/SIGINT (or :meth:`stop`)."""
        lock = _sqlite_lock(self.settings.database_url)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        loop.add_signal_handler(signal.SIGHUP, self._reload_soon)
        http = None
        polls = self._polls = _PollLoop()
        try:
            self.fetcher = await polls.run(_open_fetcher(self.watchlist.defaults.user_agent))
            await _in_thread("start", self._start)
            if self.settings.http_listen:
                http = await start_http(self.settings.http_listen, self.metrics, self.health, self._feed)
            self._add_jobs()
            self.scheduler.start()
            log.info("service started: %d sources, %d digests, database %s, instance %s",
                     len(self.watchlist.sources), len(self.watchlist.digests),
                     redact_url(self.settings.database_url), self.owner)
            await self._stop.wait()
            log.info("stopping")
            self.scheduler.shutdown(wait=False)
            await self._drain()
        finally:
            if http is not None:
                http.close()
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            try:  # the next process may take these sources at once instead of waiting for the leases
                await self._finish(CLEANUP_GRACE, self._give_back)
                if (fetcher := self.fetcher) is not None:
                    await self._finish(CLEANUP_GRACE, lambda: polls.wait(fetcher.aclose(), CLEANUP_GRACE))
            finally:
                polls.stop()
                if lock is not None:
                    lock.release()
        log.info("stopped")

    def _start(self) -> None:
        self._apply(self.watchlist, None)
        self._reload_seen = self._reload_request()
        self._publish()

    def _give_back(self) -> None:
        try:
            self.store.release_leases(self.owner)
            self.store.delete_state(INSTANCE_PREFIX + self.owner)
        finally:
            self.store.close()

    async def _finish(self, seconds: float, work: Callable[[], object]) -> None:
        """Run ``work`` in a thread for at most ``seconds``: a stop never waits longer for a blocked database."""
        done = _in_thread("stop", work)
        try:
            await asyncio.wait_for(asyncio.shield(done), seconds)
        except TimeoutError:
            log.warning("stopping without waiting for the database any longer (%gs)", seconds)
        except WatcherError as e:
            log.warning("at stop: %s", e)

    async def _off_loop(self, job: str, work: Callable[[], T]) -> T | None:
        """``work()`` in a thread of its own, never two at once for one ``job``; None when the last one still runs.

        The loop awaits the result without blocking; a job that outlives ``JOB_DEADLINE`` shows as stalled in
        /healthz, and the next tick of the same job is skipped until it ends.
        """
        if job in self._jobs:
            return None
        self._jobs[job] = time.monotonic()
        try:
            return await _in_thread(job, work)
        except WatcherError as e:  # the store refused (locked, unreachable): the next tick tries again
            log.error("%s: %s", job, e)
            return None
        finally:
            del self._jobs[job]

    def stop(self) -> None:
        """Ask the service to stop (safe from a signal handler)."""
        self._stop.set()

    def _add_jobs(self) -> None:
        logging.getLogger("apscheduler.scheduler").setLevel(logging.WARNING)  # one line per job added is noise
        now = datetime.now(UTC)  # the scheduler's own time, even when self.clock is a fake one
        every = [(self._poll_due, self.tick, "poll"), (self._watch, WATCH_EVERY, "watch"),
                 (self._digests, DIGEST_EVERY, "digests"), (self._deliver, DELIVER_EVERY, "deliver"),
                 (self._prune, PRUNE_EVERY, "prune")]
        for func, interval, job_id in every:
            # coalesce + max_instances=1: a late or slow tick runs once, never twice at the same time.
            self.scheduler.add_job(func, IntervalTrigger(seconds=interval.total_seconds()), id=job_id,
                                   next_run_time=now, coalesce=True, max_instances=1, misfire_grace_time=None)

    async def _drain(self) -> None:
        """Give in-flight polls a few seconds, then cancel them: an unfinished poll stored nothing."""
        tasks = set(self._in_flight.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=STOP_GRACE)
        for task in pending:
            task.cancel()  # a poll blocked in the database ends in its own thread: the stop does not wait for it
        if pending:
            await asyncio.wait(pending, timeout=1.0)

    def _reload_soon(self) -> None:
        """SIGHUP: reload once, off the loop; signals that come during a reload make one more reload after it."""
        self._reload_wanted = True
        if self._reloader is None or self._reloader.done():
            self._reloader = asyncio.get_running_loop().create_task(self._reload_wanted_now())

    async def _reload_wanted_now(self) -> None:
        while self._reload_wanted:
            self._reload_wanted = False
            await self._off_loop("reload", lambda: self.reload(force=True))

    def reload(self, *, force: bool = False) -> bool:
        """Re-read the watchlist when its file changed (or when forced); keep the last good one on error."""
        with self._reload_lock:
            return self._reload(force=force)

    def _reload(self, *, force: bool) -> bool:
        mtime = _mtime(self.config_path)
        if not force and mtime == self._mtime:
            return False
        self._mtime = mtime
        now = self.clock()
        try:
            try:
                raw = self.config_path.read_bytes()
                watchlist = parse_watchlist(raw.decode("utf-8"), str(self.config_path), require_sources=True)
            except (OSError, UnicodeDecodeError) as e:
                raise ConfigError(f"{self.config_path}: cannot read: {e}") from None
            check_watchlist(watchlist, self.config_path, self.channels.env)  # a channel the service could not send to
            matcher = compile_matcher(watchlist.entries)
        except ConfigError as e:
            for problem in e.problems:
                log.error("watchlist not reloaded, keeping the last good one: %s", problem)
            self.reload_error = {"at": now.isoformat(), "problems": e.problems}
            self.metrics.reloads.labels("error").inc()
            self._publish()
            return False
        previous, self.watchlist, self.matcher = self.watchlist, watchlist, matcher
        self.in_force = _describe(self.config_path, hashlib.sha256(raw).hexdigest(), watchlist, now)
        self.reload_error = None
        self._apply(watchlist, previous)
        self.metrics.reloads.labels("ok").inc()
        self._publish()
        log.info("watchlist reloaded: %d sources, %d digests", len(watchlist.sources), len(watchlist.digests))
        return True

    def _apply(self, watchlist: Watchlist, previous: Watchlist | None) -> None:
        """Make the stored sources those of ``watchlist``; a source whose interval changed is due at once."""
        self.store.sync_sources([(s.name, s.url) for s in watchlist.sources], now=self.clock())
        if previous is None:
            return
        if self.fetcher is not None and watchlist.defaults.user_agent != previous.defaults.user_agent:
            self.fetcher.set_user_agent(watchlist.defaults.user_agent or USER_AGENT)
        before = {s.name: previous.interval(s) for s in previous.sources}
        for source in watchlist.sources:
            if source.name in before and before[source.name] != watchlist.interval(source):
                self.store.make_due(source.name)

    async def _poll_due(self) -> None:
        enabled = {s.name: s for s in self.watchlist.sources if s.enabled}
        names = [name for name in enabled if name not in self._in_flight]
        now = self.clock()
        claimed = await self._off_loop("claim", lambda: self.store.claim_due(
            self.owner, now=now, names=names, limit=MAX_IN_FLIGHT - len(self._in_flight), lease=LEASE))
        if claimed is None:  # the last claim still waits for the database
            return
        self._last_tick = now  # the tick is alive only while the database answers it
        if not claimed:
            return
        batch = [enabled[name] for name in claimed]
        task = asyncio.create_task(self._poll(batch, self.watchlist, self.matcher), name="poll")
        for name in claimed:
            self._in_flight[name] = task
        task.add_done_callback(lambda _: [self._in_flight.pop(name, None) for name in claimed])

    async def _poll(self, batch: list[SourceConfig], watchlist: Watchlist, matcher: Matcher) -> None:
        """Poll the claimed ``batch`` the way every caller polls; each source's lease goes as it is recorded.

        The poll runs on the poll loop: its fetches, parsing, matching and store writes never hold this loop.
        """
        if self.fetcher is None or self._polls is None:
            return
        try:
            await self._polls.run(run_poll(
                batch, watchlist=watchlist, store=self.store, matcher=matcher, fetcher=self.fetcher,
                settings=FetchSettings.with_agent(watchlist.defaults.user_agent), clock=self.clock,
                owner=self.owner, workers=self.settings.poll_workers, on_outcome=self._polled))
        except WatcherError as e:  # the store failed: the leases run out and the sources are polled again
            log.error("%d sources not recorded: %s", len(batch), e)
        except Exception:  # a bug: logged with its traceback; the service goes on
            log.exception("a poll of %d sources failed", len(batch))

    def _polled(self, outcome: PollOutcome) -> None:
        self.metrics.observe_poll(outcome)
        if outcome.status != "error":  # errors were already logged where they happened
            log.info("%s", describe(outcome))

    async def _watch(self) -> None:
        await self._off_loop("watch", self._watch_now)

    def _watch_now(self) -> None:
        now = self.clock()
        if self._in_flight and now - self._renewed >= RENEW_EVERY:
            self.store.renew_leases(self.owner, list(self._in_flight), until=now + LEASE)
            self._renewed = now
        request = self._reload_request()
        forced = request is not None and request != self._reload_seen
        self._reload_seen = request
        self.reload(force=forced)
        self._publish()
        # Only for /metrics, and not at every tick: reading every source's newest items is not free.
        if self.settings.http_listen and now - self._counted >= COUNT_EVERY:
            self._counted = now
            states = [a.state for a in assess_stored(self.store, self.watchlist, now=now) if a.health.active]
            for state in STATES:
                self.metrics.sources.labels(state).set(states.count(state))

    async def _digests(self) -> None:
        await self._off_loop("digests", self._digests_now)

    def _digests_now(self) -> None:
        closed = 0
        for digest in self.watchlist.digests:
            queued = close_due(self.store, self.watchlist, digest, owner=self.owner, now=self.clock(),
                               started_at=self.started_at, sender=self.settings.mail_from)
            if queued is not None:
                closed += 1
                log.info("digest %s: %d message(s) queued", digest.id, len(queued))
        self.digests_checked += 1
        if closed:
            self._deliver_now()

    async def _deliver(self) -> None:
        await self._off_loop("deliver", self._deliver_now)

    def _deliver_now(self) -> None:
        report = send_due(self.store, self.mailer, now=self.clock(), sender=self.settings.mail_from, owner=self.owner,
                          on_sent=lambda d: self.metrics.digests.labels(d.digest_id).inc(),
                          on_failed=lambda d: self.metrics.delivery_failures.labels(d.digest_id).inc(),
                          channels=self.channels)
        if report.sent or report.retrying or report.given_up:
            log.info("deliveries: %d sent, %d retrying, %d given up", report.sent, report.retrying, report.given_up)
        self.deliveries_checked += 1

    async def _prune(self) -> None:
        await self._off_loop("prune", self._prune_now)

    def _prune_now(self) -> None:
        if self.watchlist.retention is None:
            return
        pruned = self.store.prune_items(before=self.clock() - self.watchlist.retention)
        self.metrics.pruned.inc(pruned)
        if pruned:
            log.info("retention: %d items without matches older than %s removed", pruned, self.watchlist.retention)

    async def _feed(self, situation_id: str, fmt: str) -> tuple[bytes, str] | None:
        """A situation's feed for /feeds/ (bounded in size), built off the loop and kept ``FEED_TTL``; None while it
        is being built for another request; LookupError when the watchlist in force has no such situation."""
        if fmt not in TYPES or all(s.id != situation_id for s in self.watchlist.situations):
            raise LookupError(situation_id)
        kind: Format = "atom" if fmt == "atom" else "json"
        cached = self._feeds.get((situation_id, kind))
        if cached is not None and time.monotonic() - cached[0] < FEED_TTL:
            return cached[1], TYPES[kind]
        watchlist, now = self.watchlist, self.clock()
        body = await self._off_loop(f"feed:{situation_id}.{kind}", lambda: render_bounded(
            situation_feed(self.store, watchlist, situation_id, now=now), kind))
        if body is None:
            return None
        self._feeds[situation_id, kind] = (time.monotonic(), body)
        return body, TYPES[kind]

    def _reload_request(self) -> str | None:
        value, _ = self.store.get_states(RELOAD_KEY).get(RELOAD_KEY, ({}, None))
        return value.get("requested_at")

    def _publish(self) -> None:
        """Write this instance's heartbeat, watchlist in force and last reload error where `status` reads them."""
        self.store.put_state(INSTANCE_PREFIX + self.owner, {
            "host": os.uname().nodename, "pid": os.getpid(), "started_at": self.started_at.isoformat(),
            "watchlist": self.in_force, "reload_error": self.reload_error, "in_flight": len(self._in_flight),
            "http": self.settings.http_listen,
        }, now=self.clock())

    def health(self) -> tuple[bool, dict[str, object]]:
        """Healthy while the poll tick keeps running (its claims need the database); facts for /healthz."""
        late = (self.clock() - self._last_tick).total_seconds()
        ok = late < max(3 * self.tick.total_seconds(), 30)
        now = time.monotonic()
        stalled = sorted(job for job, since in list(self._jobs.items()) if now - since > JOB_DEADLINE)
        return ok, {"instance": self.owner, "uptime_s": int((self.clock() - self.started_at).total_seconds()),
                    "last_tick_s_ago": round(late, 1), "watchlist_sha256": self.in_force["sha256"],
                    "reload_error": self.reload_error, "in_flight": len(self._in_flight), "stalled": stalled}


def _in_thread(name: str, work: Callable[[], T]) -> asyncio.Future[T]:
    """``work()`` in a daemon thread, as a future of the running loop: neither the loop nor the process's exit
    ever waits for a call that blocks (a thread pool's workers would hold up asyncio.run's end and the exit)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def main() -> None:
        try:
            result = work()
        except BaseException as e:  # handed to the awaiting coroutine, which decides
            error = e
            _call_soon(loop, lambda: settle(lambda: future.set_exception(error)))
        else:
            _call_soon(loop, lambda: settle(lambda: future.set_result(result)))

    threading.Thread(target=main, name=f"watcher-{name}", daemon=True).start()
    return future


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    with suppress(RuntimeError):  # the loop has closed: nobody awaits the result any more
        loop.call_soon_threadsafe(callback)


class _PollLoop:
    """An event loop in a thread of its own for polls: the service's loop hands it coroutines and awaits them."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="watcher-polls", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the poll loop; cancelling the caller cancels it there."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._loop))

    def wait(self, coroutine: Coroutine[Any, Any, T], seconds: float) -> T:
        """Run ``coroutine`` on the poll loop and wait for it in this (another) thread, at most ``seconds``."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(seconds)

    def stop(self) -> None:
        """Stop the loop once what it runs now yields; a poll blocked in the database is left to its thread."""
        self._loop.call_soon_threadsafe(self._loop.stop)


async def _open_fetcher(user_agent: str | None) -> Fetcher:
    # Opened on the poll loop: its connections belong to the loop that uses them.
    fetcher = Fetcher(FetchSettings.with_agent(user_agent))
    await fetcher.__aenter__()
    return fetcher


def _describe(path: Path, sha256: str | None, watchlist: Watchlist, at: Any) -> dict[str, Any]:
    return {"path": str(path.resolve()), "sha256": sha256, "loaded_at": at.isoformat(),
            "sources": len(watchlist.sources), "digests": len(watchlist.digests)}


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _sqlite_lock(url: str) -> FileLock | None:
    path = sqlite_path(parse_url(url))
    if path is None:
        return None
    lock = database_lock(path)
    lock.acquire()
    with suppress(OSError):
        if (names := path.stat().st_nlink) > 1:
            log.warning("the database %s has %d names (hard links): a service started on another name would not "
                        "see this one's lock %s", path, names, lock.path)
    return lock


def run_service(config_path: Path, settings: Settings, *, clock: Clock = utcnow) -> None:
    """Load the watchlist (a broken one stops the start with its problems) and run until stopped."""
    from watcher.config import load_watchlist

    watchlist = load_watchlist(config_path, require_sources=True)
    check_watchlist(watchlist, config_path, os.environ)

    async def main() -> None:
        await Service(config_path, settings, watchlist, clock=clock).run()

    asyncio.run(main())


__all__ = ["Service", "run_service"]
