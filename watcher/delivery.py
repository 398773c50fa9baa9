"""Delivering queued digest messages: each pending delivery claimed, sent, and marked; a failure retried later.

A delivery row holds the message and is created when its period is closed, before any sending (watcher.periods):
a crash or a failed SMTP conversation leaves it pending, retried with backoff for ``RETRY_FOR`` as mail servers do
(``watcher digest --retry`` reopens what was given up); a sent one is never sent again. A 5xx refusal fails it at
once: retrying a message the server refuses cannot help.

A chat or webhook channel (watcher.channels) is one more recipient of a period, under the same rules: its row
holds the digest's short form, written in the channel's markup and within its limits as it is sent; a URL apprise
cannot use fails at once, any other failure is retried. Each round sends mail first, so a slow channel never
holds the mail of its round, and a failing recipient holds only its own later messages.

The rule for one recipient: a digest's messages arrive in the order of their periods. A later period's message
waits while an earlier one to the same recipient is pending; closing a new period retries the held one at
once, and when it goes the ones behind it follow in the same round. A manual ``digest --send`` retries what is
pending now instead of waiting for its backoff (``retry_now``).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from watcher.channels import ChannelSender, Shape
from watcher.config.placeholders import display
from watcher.errors import ChannelError, ChannelRefused, MailError, MailRefused, StoreError
from watcher.mail import Mailer
from watcher.models import Delivery
from watcher.report.short_form import from_bytes, render_short_form
from watcher.store import Store

log = logging.getLogger("watcher.digest")

RETRY_FOR = timedelta(days=2)  # how long a message that cannot be sent is retried before it is given up
_BACKOFF = timedelta(minutes=1)
_BACKOFF_CAP = timedelta(hours=1)
SEND_LEASE = timedelta(minutes=10)  # longer than any SMTP conversation: a dead sender's mail is retried after it
MARK_WITHIN = SEND_LEASE / 2  # how long a sent mark is retried while the database refuses it
_MARK_PAUSE_CAP = 5.0  # seconds between two tries of a sent mark, at most


@dataclass(frozen=True, slots=True)
class SendReport:
    """What one delivery round did."""

    sent: int
    retrying: int
    given_up: int


def send_due(store: Store, mailer: Mailer, *, now: datetime, sender: str, owner: str | None = None,
             digest_ids: Collection[str] | None = None, retry_now: bool = False,
             on_sent: Callable[[Delivery], None] | None = None,
             on_failed: Callable[[Delivery], None] | None = None,
             channels: ChannelSender | None = None) -> SendReport:
    """Send every due delivery this process manages to claim, each recipient's in the order of their periods.

    Claiming first means two processes, or a service and a manual `digest --send`, never send the same
    delivery. ``owner`` names the claimer (default: this host and process). ``digest_ids``: only these
    digests' deliveries. ``retry_now``: do not wait for backoffs. ``channels`` sends the channel deliveries
    (without it they wait for a sender that has it).
    """
    owner = owner or f"{socket.gethostname()}:{os.getpid()}"
    sent = retrying = given_up = 0
    tried: set[int] = set()
    while True:  # a sent message lets the next one to its recipient go in the following pass
        due = [d for d in store.due_deliveries(now=now, digest_ids=digest_ids, retry_now=retry_now)
               if d.id not in tried and (d.kind == "mail" or channels is not None)]
        due.sort(key=lambda d: d.kind != "mail")  # stable: each recipient's keep the order of their periods
        went = 0
        for delivery in due:
            tried.add(delivery.id)
            if not store.claim_delivery(delivery.id, owner=owner, now=now, until=now + SEND_LEASE,
                                        retry_now=retry_now):
                continue  # another process is sending it
            try:
                _send(delivery, mailer, channels, sender=sender)
            except (MailError, ChannelError) as e:
                if _failed(store, delivery, e, now=now):
                    retrying += 1
                else:
                    given_up += 1
                if on_failed is not None:
                    on_failed(delivery)
                continue
            _mark_sent(store, delivery, now=now)
            sent += 1
            went += 1
            if on_sent is not None:
                on_sent(delivery)
            log.info("digest %s sent to %s", delivery.digest_id, recipient(delivery))
        if not went:
            return SendReport(sent, retrying, given_up)


def _send(delivery: Delivery, mailer: Mailer, channels: ChannelSender | None, *, sender: str) -> None:
    if delivery.kind == "mail":
        mailer.send(delivery.message, sender=sender, recipients=[delivery.recipient], name=delivery_name(delivery))
        return
    assert channels is not None  # send_due leaves channel deliveries alone without a sender
    form = from_bytes(delivery.message)

    def compose(shape: Shape) -> tuple[str, str]:
        return render_short_form(form, markup=shape.markup, body_max=shape.body_max, title_max=shape.title_max,
                                 shared=shape.shared)

    channels.send(delivery.recipient, compose)


def recipient(delivery: Delivery) -> str:
    """The delivery's recipient as logs and `watcher status` show it: an address, or a channel's URL as written."""
    return display(delivery.recipient) if delivery.kind == "channel" else delivery.recipient


def _failed(store: Store, delivery: Delivery, error: MailError | ChannelError, *, now: datetime) -> bool:
    """Record a failed attempt; whether the delivery will be retried."""
    attempts = delivery.attempts + 1
    give_up = isinstance(error, (MailRefused, ChannelRefused)) or attempts >= MAX_ATTEMPTS
    retry_at = None if give_up else now + backoff(attempts)
    try:
        store.mark_failed(delivery.id, now=now, error=str(error), next_attempt_at=retry_at)
    except StoreError as e:  # the claim runs out and the delivery is tried again: nothing is lost
        log.error("digest %s to %s: the failed attempt was not recorded: %s", delivery.digest_id,
                  recipient(delivery), e)
    if retry_at is None:
        why = "refused" if isinstance(error, (MailRefused, ChannelRefused)) else f"given up after {attempts} attempts"
        log.error("digest %s to %s: %s: %s", delivery.digest_id, recipient(delivery), why, error)
        return False
    log.warning("digest %s to %s: %s; retrying at %s", delivery.digest_id, recipient(delivery), error,
                retry_at.isoformat(timespec="seconds"))
    return True


def _mark_sent(store: Store, delivery: Delivery, *, now: datetime) -> None:
    """Record that the server took the message, retrying while the database refuses for up to ``MARK_WITHIN``.

    Dropping the mark would let the claim run out and the message go out a second time.
    """
    deadline = time.monotonic() + MARK_WITHIN.total_seconds()
    pause = 0.1
    while True:
        try:
            store.mark_sent(delivery.id, now=now)
            return
        except StoreError as e:
            if "already sent" in str(e):  # a second process sent it after our claim ran out: marked already
                return
            if time.monotonic() + pause > deadline:
                log.error("digest %s to %s: sent, but the database would not record it: %s; it may be sent "
                          "again", delivery.digest_id, recipient(delivery), e)
                return
            log.warning("digest %s to %s: sent; recording it failed (%s), trying again", delivery.digest_id,
                        recipient(delivery), e)
        time.sleep(pause)
        pause = min(pause * 2, _MARK_PAUSE_CAP)


def backoff(attempts: int) -> timedelta:
    """Delay before retry number ``attempts``: 1, 2, 4 ... minutes, capped at an hour."""
    return min(_BACKOFF * (1 << min(max(attempts - 1, 0), 16)), _BACKOFF_CAP)


def _attempts_within(span: timedelta) -> int:
    attempts, waited = 1, timedelta(0)
    while waited < span:
        waited += backoff(attempts)
        attempts += 1
    return attempts


MAX_ATTEMPTS = _attempts_within(RETRY_FOR)  # the attempts the backoff fits into RETRY_FOR (55)


def delivery_name(delivery: Delivery) -> str:
    """A stable, file-name-safe name for one delivery (the outbox's file name), unique by its id."""
    stamp = delivery.period.end.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    recipient = "".join(c if c.isalnum() or c in "@.-_" else "_" for c in delivery.recipient)
    return f"{delivery.digest_id}-{stamp}-{recipient}-{delivery.id}"
