"""Channel deliveries on SQLite and PostgreSQL: beside a period's mail, one per channel URL as written, in the order
of their periods per channel, and summed up per channel for `watcher status`."""

# ruff: noqa: F811  (the fixtures imported from test_store_fixtures are used as arguments)
from __future__ import annotations

from datetime import timedelta

from test_store_fixtures import T0, db_url, empty_url, store  # noqa: F401

from watcher.models import ChannelState, Period
from watcher.store import Store

H = timedelta(hours=1)
CHANNEL = "tgram://{env:WATCHER_TELEGRAM_TOKEN}/-1001234567890"
LONG = "json://hooks.example.org/" + "p" * 1200 + "?+Authorization={env:WATCHER_HOOK_AUTH}"  # longer than an address


def test_a_period_queues_its_channels_beside_its_mail(store: Store) -> None:
    created = store.record_period("daily", Period(T0 - 24 * H, T0), {"a@example.org": b"mail"}, now=T0,
                                  channels={CHANNEL: b'{"title": "x"}', LONG: b'{"title": "x"}'})
    assert sorted((d.kind, d.recipient, d.status) for d in created) == [
        ("channel", LONG, "pending"), ("channel", CHANNEL, "pending"), ("mail", "a@example.org", "pending")]
    assert store.pending_recipients("daily") == {"a@example.org", CHANNEL, LONG}
    # Closed again (a racing process): the same deliveries, no second row for a channel.
    again = store.record_period("daily", Period(T0 - 24 * H, T0), {}, now=T0, channels={CHANNEL: b"other"})
    assert again == created


def test_a_channels_later_message_waits_for_its_earlier_one_and_status_says_why(store: Store) -> None:
    form = b'{"title": "x"}'
    first = store.record_period("daily", Period(T0 - 24 * H, T0), {}, now=T0, channels={CHANNEL: form, LONG: form})
    held = next(d for d in first if d.recipient == CHANNEL)
    assert store.claim_delivery(held.id, owner="a", now=T0, until=T0 + H)
    store.mark_failed(held.id, now=T0, error="Telegram answered 502", next_attempt_at=T0 + 2 * H)
    store.mark_sent(next(d.id for d in first if d.recipient == LONG), now=T0)
    store.record_period("daily", Period(T0, T0 + 24 * H), {}, now=T0 + 24 * H, channels={CHANNEL: form, LONG: form})
    due = store.due_deliveries(now=T0 + 24 * H)
    # The held channel's first message is due (its backoff is over); its second waits behind it.
    assert sorted((d.recipient, d.period.end) for d in due) == [(LONG, T0 + 24 * H), (CHANNEL, T0)]
    assert store.channel_deliveries() == [
        ChannelState(digest_id="daily", channel=LONG, pending=1, sent=1, failed=0),
        ChannelState(digest_id="daily", channel=CHANNEL, pending=2, sent=0, failed=0, attempts=1,
                     last_error="Telegram answered 502", next_attempt_at=T0 + 2 * H),
    ]
