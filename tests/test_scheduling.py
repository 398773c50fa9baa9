# ruff: noqa: F811 (pytest fixtures imported from test_store_fixtures are parameters here)
"""Due times on a fake clock: the pure decider's table, then polls through a mock HTTP server and the real store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from test_store_fixtures import db_url, empty_url, store  # noqa: F401 (fixtures)

from watcher.config import parse_watchlist
from watcher.fetch import Fetcher, FetchSettings
from watcher.match import compile_matcher
from watcher.models import PollRecord
from watcher.poll import run_poll
from watcher.poll.decider import (
    MAX_BACKOFF,
    MAX_SERVER_DELAY,
    Outcome,
    backoff,
    decide_next_poll,
    jitter,
    max_age,
)
from watcher.store import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)
MAX_JITTER = timedelta(minutes=5)


def due_delay(outcome: Outcome, failures: int = 0, interval: timedelta = 30 * M) -> timedelta:
    decision = decide_next_poll(outcome, failures=failures, interval=interval, now=T0, seed="s")
    assert decision.next_due_at is not None
    return decision.next_due_at - T0


@pytest.mark.parametrize(("outcome", "failures", "low", "high"), [
    # A success waits the interval plus at most 10 % jitter (capped at 5 minutes).
    (Outcome(ok=True, status=200), 0, 30 * M, 33 * M),
    (Outcome(ok=True, status=304), 3, 30 * M, 33 * M),  # success resets the backoff
    # The server's freshness pushes later, never earlier than the interval.
    (Outcome(ok=True, status=200, cache_control="public, max-age=7200"), 0, 2 * H, 2 * H + 3 * M),
    (Outcome(ok=True, status=200, cache_control="max-age=60"), 0, 30 * M, 33 * M),
    (Outcome(ok=True, status=200, expires="Sun, 01 Mar 2026 15:00:00 GMT", date="Sun, 01 Mar 2026 12:00:00 GMT"),
     0, 3 * H, 3 * H + 3 * M),
    (Outcome(ok=True, status=200, expires="0"), 0, 30 * M, 33 * M),  # invalid Expires: already expired
    # ... within sane bounds: a server asking for a week gets a day.
    (Outcome(ok=True, status=200, cache_control="max-age=604800"), 0, MAX_SERVER_DELAY,
     MAX_SERVER_DELAY + 3 * M),
    # Failures back off exponentially from the interval, capped at 6 hours.
    (Outcome(ok=False, status=500), 0, 30 * M, 33 * M),
    (Outcome(ok=False, status=500), 1, 60 * M, 63 * M),
    (Outcome(ok=False, status=None), 3, 240 * M, 243 * M),
    (Outcome(ok=False, status=500), 10, MAX_BACKOFF, MAX_BACKOFF + 3 * M),
    # Retry-After wins when longer than the backoff, and is bounded too.
    (Outcome(ok=False, status=429, retry_after=3 * 3600), 0, 3 * H, 3 * H + 3 * M),
    (Outcome(ok=False, status=503, retry_after=10), 2, 120 * M, 123 * M),
    (Outcome(ok=False, status=503, retry_after=30 * 86400), 0, MAX_SERVER_DELAY, MAX_SERVER_DELAY + 3 * M),
])
def test_next_due_time(outcome: Outcome, failures: int, low: timedelta, high: timedelta) -> None:
    assert low <= due_delay(outcome, failures) <= high


def test_failures_count_up_and_reset() -> None:
    failed = decide_next_poll(Outcome(ok=False, status=500), failures=2, interval=H, now=T0, seed="x")
    assert failed.failures == 3 and failed.disabled_reason is None
    assert decide_next_poll(Outcome(ok=True, status=200), failures=3, interval=H, now=T0, seed="x").failures == 0


def test_410_disables_and_a_permanent_redirect_is_remembered() -> None:
    gone = decide_next_poll(Outcome(ok=False, status=410), failures=0, interval=H, now=T0, seed="x")
    assert gone.next_due_at is None and gone.disabled_reason is not None and "410" in gone.disabled_reason
    moved = decide_next_poll(Outcome(ok=True, status=200, permanent_redirect="https://new.example/rss"), failures=0,
                             interval=H, now=T0, seed="x", url="https://old.example/rss")
    assert moved.moved_to == "https://new.example/rss" and moved.next_due_at is not None


def test_a_moved_source_stays_moved_until_a_redirect_points_back() -> None:
    new, old = "https://new.example/rss", "https://old.example/rss"
    # Polled at its new URL, which answers without a redirect: later polls still go there.
    stays = decide_next_poll(Outcome(ok=True, status=200), failures=0, interval=H, now=T0, seed="x", url=old,
                             moved_to=new)
    assert stays.moved_to == new
    failed = decide_next_poll(Outcome(ok=False, status=503), failures=0, interval=H, now=T0, seed="x", url=old,
                              moved_to=new)
    assert failed.moved_to == new
    back = decide_next_poll(Outcome(ok=True, status=200, permanent_redirect=old), failures=0, interval=H, now=T0,
                            seed="x", url=old, moved_to=new)
    assert back.moved_to is None


def test_backoff_never_shortens_a_long_interval() -> None:
    assert backoff(timedelta(hours=12), 5) == timedelta(hours=12)
    assert [backoff(10 * M, n) for n in range(1, 7)] == [10 * M, 20 * M, 40 * M, 80 * M, 160 * M, 320 * M]
    assert backoff(10 * M, 7) == MAX_BACKOFF


def test_jitter_is_deterministic_bounded_and_spread() -> None:
    values = {jitter(H, f"source-{i}") for i in range(50)}
    assert all(timedelta(0) <= v <= min(H * 0.1, MAX_JITTER) for v in values)
    assert len(values) > 40  # sources sharing a host drift apart
    assert jitter(H, "same") == jitter(H, "same")


def test_max_age_reads_cache_control() -> None:
    assert max_age("public, max-age=600") == 600
    assert max_age('s-maxage="900", max-age=60') == 900
    assert max_age("no-cache") == 0
    assert max_age("private") is None and max_age(None) is None


# --- polls through the real store, a mock HTTP server and a fake clock -------------------------------------------

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Pashinyan in Yerevan</title><link>https://a.example/1</link></item></channel></rss>"""
WATCHLIST = """
defaults: {every: 30m}
sources:
  - {name: a, url: 'https://a.example/rss'}
actors:
  - {id: pashinyan, name: Nikol Pashinyan}
"""


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def poll(store: Store, clock: FakeClock, handler: Callable[[httpx.Request], httpx.Response]) -> None:
    """Source ``a`` polled as the service polls what it claimed: a batch of one, its lease held by "me"."""
    watchlist = parse_watchlist(WATCHLIST)

    async def run() -> None:
        async with Fetcher(transport=httpx.MockTransport(handler)) as fetcher:
            await run_poll(watchlist.sources[:1], watchlist=watchlist, store=store,
                           matcher=compile_matcher(watchlist.entries), fetcher=fetcher, settings=FetchSettings(),
                           clock=clock, owner="me")

    asyncio.run(run())


def schedule(store: Store) -> tuple[datetime | None, str | None, str | None, int]:
    s = store.source_schedules()["a"]
    [health] = [h for h in store.source_health() if h.name == "a"]
    return s.next_due_at, s.disabled_reason, s.moved_to, health.consecutive_failures


def claim(store: Store, now: datetime, owner: str = "me") -> list[str]:
    return store.claim_due(owner, now=now, names=["a"], limit=10, lease=5 * M)


def test_backoff_retry_after_and_reset_through_polls(store: Store) -> None:
    clock = FakeClock()
    store.sync_sources([("a", "https://a.example/rss")], now=T0)
    assert claim(store, T0) == ["a"]  # never polled: due at once
    poll(store, clock, lambda r: httpx.Response(500))
    due, _, _, failures = schedule(store)
    assert failures == 1 and due is not None and 30 * M <= due - T0 <= 33 * M
    assert claim(store, T0 + 29 * M) == []  # not due yet
    clock.now = due
    assert claim(store, due) == ["a"]
    poll(store, clock, lambda r: httpx.Response(503, headers={"Retry-After": "7200"}))
    due2, _, _, failures = schedule(store)
    assert failures == 2 and due2 is not None and 2 * H <= due2 - clock.now <= 2 * H + 3 * M
    clock.now = due2
    poll(store, clock, lambda r: httpx.Response(200, content=RSS, headers={"Cache-Control": "max-age=60"}))
    due3, _, _, failures = schedule(store)
    assert failures == 0 and due3 is not None and 30 * M <= due3 - clock.now <= 33 * M
    assert store.source_schedules()["a"].lease_owner is None  # the poll gave its lease back


def test_410_disables_the_source_until_enabled(store: Store) -> None:
    clock = FakeClock()
    store.sync_sources([("a", "https://a.example/rss")], now=T0)
    poll(store, clock, lambda r: httpx.Response(410))
    due, reason, _, _ = schedule(store)
    assert due is None and reason and "410" in reason
    assert claim(store, T0 + timedelta(days=30)) == []  # never due again by itself
    health = {h.name: h for h in store.source_health()}["a"]
    assert health.last_error and health.last_error.startswith("disabled:")  # what digests show
    assert store.enable_source("a") and claim(store, T0) == ["a"]


def test_a_new_url_in_the_watchlist_clears_a_410(store: Store) -> None:
    clock = FakeClock()
    store.sync_sources([("a", "https://a.example/rss")], now=T0)
    poll(store, clock, lambda r: httpx.Response(410))
    store.sync_sources([("a", "https://a.example/feed")], now=T0)
    assert schedule(store)[1] is None and claim(store, T0) == ["a"]


def test_a_permanent_redirect_is_followed_and_later_polls_go_to_the_new_url(store: Store) -> None:
    clock = FakeClock()
    store.sync_sources([("a", "https://a.example/rss")], now=T0)
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/rss":
            return httpx.Response(301, headers={"Location": "https://b.example/feed"})
        return httpx.Response(200, content=RSS)

    poll(store, clock, handler)
    assert seen == ["https://a.example/rss", "https://b.example/feed"]
    assert schedule(store)[2] == "https://b.example/feed"
    assert store.source_health()[0].total_items == 1
    clock.now = T0 + H
    assert claim(store, clock.now) == ["a"]
    seen.clear()
    poll(store, clock, handler)
    assert seen == ["https://b.example/feed"]
    assert schedule(store)[2] == "https://b.example/feed"  # still moved: the new URL answered without a redirect
    clock.now = T0 + 2 * H
    seen.clear()
    poll(store, clock, handler)
    assert seen == ["https://b.example/feed"]


def test_a_lease_keeps_a_source_from_a_second_claimer_until_it_expires(store: Store) -> None:
    store.sync_sources([("a", "https://a.example/rss")], now=T0)
    assert claim(store, T0, owner="one") == ["a"]
    assert claim(store, T0 + M, owner="two") == []  # held
    assert claim(store, T0 + 6 * M, owner="two") == ["a"]  # the holder died: its lease ran out
    # A late holder's record changes nothing on the row the new holder leased.
    store.record_polls([PollRecord("a", T0 + 6 * M, "not-modified", 304, next_due_at=T0 + H, failures=0)], owner="one")
    assert store.source_schedules()["a"].lease_owner == "two"
    assert store.source_schedules()["a"].next_due_at != T0 + H
    assert store.release_leases("two") == 1 and claim(store, T0 + 7 * M, owner="three") == ["a"]


def test_a_restart_does_not_repoll_what_is_not_due(db_url: str) -> None:
    with Store.open(db_url) as first:
        first.sync_sources([("a", "https://a.example/rss"), ("b", "https://b.example/rss")], now=T0)
        assert set(first.claim_due("p1", now=T0, names=["a", "b"], limit=10, lease=5 * M)) == {"a", "b"}
        first.record_polls([PollRecord("a", T0, "not-modified", 304, next_due_at=T0 + H, failures=0)], owner="p1")
        first.release_leases("p1")  # a clean stop: b was claimed but not polled, so it stays due
    with Store.open(db_url) as second:  # the restarted service
        second.sync_sources([("a", "https://a.example/rss"), ("b", "https://b.example/rss")], now=T0 + M)
        assert second.claim_due("p2", now=T0 + M, names=["a", "b"], limit=10, lease=5 * M) == ["b"]
        # Missed runs coalesce: hours later a is due once, not once per missed interval.
        later = second.claim_due("p2", now=T0 + 5 * H, names=["a"], limit=10, lease=5 * M)
        assert later == ["a"]
