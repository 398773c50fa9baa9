"""Digest periods and deliveries on SQLite and PostgreSQL: closed once, sent once, retried while pending."""

# ruff: noqa: F811  (the fixtures imported from test_store_fixtures are used as arguments)
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from test_store_fixtures import T0, db_url, empty_url, store  # noqa: F401

from watcher.errors import StoreError
from watcher.models import Delivery, Period
from watcher.store import Store

H = timedelta(hours=1)
DAY = Period(T0 - 24 * H, T0)
MESSAGES = {"analyst@example.org": b"Subject: digest\r\n\r\n\xd5\x80 body", "desk@example.org": b"x" * 300_000}


def test_close_period_records_pending_deliveries(store: Store) -> None:
    assert store.last_period_end("daily") is None
    created = store.record_period("daily", DAY, MESSAGES, now=T0)
    assert [(d.digest_id, d.period, d.recipient, d.status, d.attempts, d.message) for d in created] == [
        ("daily", DAY, r, "pending", 0, m) for r, m in MESSAGES.items()]
    assert store.last_period_end("daily") == T0
    assert store.deliveries() == created


def test_closing_a_period_again_returns_the_same_deliveries(store: Store) -> None:
    first = store.record_period("daily", DAY, MESSAGES, now=T0)
    again = store.record_period("daily", DAY, {"intruder@example.org": b"new"}, now=T0 + H)
    assert again == first
    assert store.deliveries() == first


def test_periods_are_per_digest(store: Store) -> None:
    store.record_period("daily", DAY, {"a@example.org": b"1"}, now=T0)
    store.record_period("weekly", DAY, {"a@example.org": b"2"}, now=T0)
    store.record_period("daily", Period(T0, T0 + 24 * H), {"a@example.org": b"3"}, now=T0 + 24 * H)
    assert [d.message for d in store.deliveries(digest_id="daily")] == [b"1", b"3"]
    assert [d.message for d in store.deliveries(digest_id="weekly")] == [b"2"]
    assert store.last_period_end("daily") == T0 + 24 * H and store.last_period_end("weekly") == T0


def test_an_empty_period_is_still_closed(store: Store) -> None:
    assert store.record_period("daily", DAY, {}, now=T0) == []
    assert store.last_period_end("daily") == T0


def test_two_closers_racing_create_one_set_of_deliveries(db_url: str) -> None:
    stores = [Store.open(db_url), Store.open(db_url)]  # two engines: two separate connections
    barrier = threading.Barrier(len(stores))
    results: list[list[Delivery]] = []
    errors: list[Exception] = []

    def close(s: Store, tag: bytes) -> None:
        try:
            barrier.wait()
            results.append(s.record_period("daily", DAY, {"a@example.org": tag, "b@example.org": tag}, now=T0))
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=close, args=(s, f"from {n}".encode())) for n, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert len(results) == 2 and results[0] == results[1]
        assert len(stores[0].deliveries()) == 2
        assert len({d.message for d in stores[0].deliveries()}) == 1  # both from the same closer
    finally:
        for s in stores:
            s.close()


def test_delivery_life_cycle(store: Store) -> None:
    first, second = store.record_period("daily", DAY, MESSAGES, now=T0)
    assert [d.id for d in store.due_deliveries(now=T0)] == [first.id, second.id]

    store.mark_failed(first.id, now=T0, error="421 try later", next_attempt_at=T0 + H)
    assert [d.id for d in store.due_deliveries(now=T0)] == [second.id]
    assert [d.id for d in store.due_deliveries(now=T0 + H)] == [first.id, second.id]
    assert [d.id for d in store.due_deliveries(now=T0 + H, limit=1)] == [first.id]

    store.mark_sent(first.id, now=T0 + H)
    store.mark_failed(second.id, now=T0 + H, error="550 no such user", next_attempt_at=None)
    assert store.due_deliveries(now=T0 + 100 * H) == []

    sent, failed = store.deliveries(digest_id="daily")
    assert (sent.status, sent.attempts, sent.sent_at, sent.next_attempt_at, sent.last_error) == (
        "sent", 2, T0 + H, None, None)
    assert (failed.status, failed.attempts, failed.last_error, failed.sent_at) == (
        "failed", 1, "550 no such user", None)


def test_a_sent_delivery_is_never_reopened(store: Store) -> None:
    (delivery,) = store.record_period("daily", DAY, {"a@example.org": b"m"}, now=T0)
    store.mark_sent(delivery.id, now=T0)
    with pytest.raises(StoreError, match="already sent"):
        store.mark_failed(delivery.id, now=T0 + H, error="late", next_attempt_at=T0 + 2 * H)
    with pytest.raises(StoreError, match="already sent"):
        store.mark_sent(delivery.id, now=T0 + H)
    assert store.deliveries()[0].sent_at == T0
    with pytest.raises(StoreError, match="no delivery"):
        store.mark_sent(10**9, now=T0)


def test_a_recipients_later_deliveries_wait_behind_a_pending_one_and_a_claim_is_exclusive(store: Store) -> None:
    first, other = store.record_period("daily", DAY, {"a@example.org": b"1", "b@example.org": b"1"}, now=T0)
    later = Period(T0, T0 + 24 * H)
    (second, other_second) = store.record_period("daily", later, {"a@example.org": b"2", "b@example.org": b"2"},
                                                 now=T0 + 24 * H)
    # Only the oldest pending delivery of each recipient is due; the later ones wait behind it.
    assert [d.id for d in store.due_deliveries(now=T0 + 24 * H)] == [first.id, other.id]
    store.mark_failed(first.id, now=T0 + 24 * H, error="421 later", next_attempt_at=T0 + 30 * H)
    assert [d.id for d in store.due_deliveries(now=T0 + 25 * H)] == [other.id]  # second still held
    assert [d.id for d in store.due_deliveries(now=T0 + 25 * H, retry_now=True)] == [first.id, other.id]
    # A claim keeps a delivery from every other claimer, even one that retries now, until it runs out.
    assert store.claim_delivery(other.id, owner="p1", now=T0 + 25 * H, until=T0 + 26 * H)
    assert not store.claim_delivery(other.id, owner="p2", now=T0 + 25 * H, until=T0 + 26 * H, retry_now=True)
    assert store.claim_delivery(other.id, owner="p2", now=T0 + 27 * H, until=T0 + 28 * H)
    store.mark_sent(other.id, now=T0 + 27 * H)
    assert [d.id for d in store.due_deliveries(now=T0 + 27 * H)] == [other_second.id]
    # A new period retries the held delivery at once.
    store.record_period("daily", Period(T0 + 24 * H, T0 + 48 * H), {}, now=T0 + 28 * H)
    assert [d.id for d in store.due_deliveries(now=T0 + 28 * H)] == [first.id, other_second.id]
    assert store.pending_recipients("daily") == {"a@example.org", "b@example.org"}
    store.mark_failed(first.id, now=T0 + 28 * H, error="550 no", next_attempt_at=None)
    assert [d.id for d in store.due_deliveries(now=T0 + 28 * H)] == [second.id, other_second.id]
    assert store.reopen_failed(digest_ids=["weekly"]) == 0 and store.reopen_failed(digest_ids=["daily"]) == 1
    reopened = store.deliveries(digest_id="daily")[0]
    assert (reopened.status, reopened.attempts, reopened.next_attempt_at) == ("pending", 0, None)


def test_a_digests_watched_since_is_kept(store: Store) -> None:
    assert store.watched_since("daily", now=T0) == T0
    assert store.watched_since("daily", now=T0 + H) == T0
    assert store.watched_since("weekly", now=T0 + H) == T0 + H
