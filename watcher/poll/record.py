"""The poll's one writer: each source's result and the decider's decision, stored many sources per transaction.

A source's items, matches, fetch state and next due time are committed together, so a crash never keeps one
without the other. Batching is what makes a poll of a thousand feeds cheap: one transaction (and one statement
per table) per ``BATCH_SOURCES`` sources instead of several per source. When the database refuses a batch, its
sources are written one by one, so one source's bad record costs that source alone, recorded as its failure.

A story can reach the store through a news search and through an outlet's own feed. A search item's link is a
Google News redirect, never the article's URL, so the two cannot share a key; the story is recognised by its
title instead (the parser cut the `` - Publisher`` suffix): within ``SAME_STORY_WITHIN``, a search item whose
title is stored is dropped, and a feed item whose title came through a search is dropped too. The first route
to bring a story wins.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from watcher.config import SourceConfig, Watchlist
from watcher.errors import StoreError
from watcher.models import PollOutcome, PollRecord, SourceState
from watcher.poll.decider import Decision, Outcome, decide_next_poll
from watcher.poll.steps import Fetched
from watcher.store import Store

log = logging.getLogger("watcher.poll")
BATCH_SOURCES = 50  # sources per transaction
BATCH_ITEMS = 2_500  # ... or fewer, when their new items reach this
SAME_STORY_WITHIN = timedelta(days=7)


class Recorder:
    """Takes ``Fetched`` results and stores them in batches; ``outcomes`` holds every source recorded."""

    def __init__(self, store: Store, *, watchlist: Watchlist, sources: Sequence[SourceConfig],
                 states: Mapping[str, SourceState], clock: Callable[[], datetime], owner: str | None = None,
                 on_outcome: Callable[[PollOutcome], None] | None = None) -> None:
        self._store = store
        self._watchlist = watchlist
        self._config = {s.name: s for s in sources}
        self._states = states
        self._clock = clock
        self._owner = owner
        self._on_outcome = on_outcome
        self._searches = [s.name for s in watchlist.sources if s.kind == "search"]
        self._pending: list[Fetched] = []
        self._pending_items = 0
        self.outcomes: dict[str, PollOutcome] = {}

    def add(self, fetched: Fetched) -> None:
        """Take one source's result; store the batch once it is full."""
        self._pending.append(fetched)
        self._pending_items += len(fetched.items)
        if len(self._pending) >= BATCH_SOURCES or self._pending_items >= BATCH_ITEMS:
            self.flush()

    def flush(self) -> None:
        """Store everything taken so far."""
        pending, self._pending, self._pending_items = self._pending, [], 0
        if not pending:
            return
        now = self._clock()
        fetched = self._without_known_stories(pending, now)
        records = [self._record(f, now) for f in fetched]
        try:
            written = list(zip(records, self._store.record_polls(records, owner=self._owner), strict=True))
        except StoreError as e:
            log.warning("a batch of %d sources was not stored (%s); storing them one by one", len(records), e)
            written = [self._record_alone(f, record) for f, record in zip(fetched, records, strict=True)]
        for f, (record, count) in zip(fetched, written, strict=True):
            self._report(f, record, count)

    def _record(self, fetched: Fetched, now: datetime) -> PollRecord:
        """The record of ``fetched``: its result and the decider's decision, as the store writes them."""
        source = self._config[fetched.source]
        state = self._states.get(fetched.source, SourceState())
        decision = decide_next_poll(fetched.outcome, failures=state.failures, interval=self._watchlist.interval(source),
                                    now=now, seed=f"{source.name}|{now.isoformat()}", url=source.url,
                                    moved_to=state.moved_to)
        record = PollRecord(fetched.source, now, fetched.kind, fetched.outcome.status,
                            next_due_at=decision.next_due_at, failures=decision.failures, moved_to=decision.moved_to,
                            disabled_reason=decision.disabled_reason, feed_url=fetched.feed_url)
        if fetched.kind == "error":
            error = f"disabled: {fetched.error}" if decision.disabled_reason else str(fetched.error)
            log.warning("%s: %s%s", fetched.source, error, next_try(decision))
            return dataclasses.replace(record, error=error)
        if decision.moved_to and decision.moved_to != state.moved_to:
            log.warning("%s: moved permanently to %s; polling the new URL, update its url in the watchlist",
                        fetched.source, decision.moved_to)
        if fetched.kind == "not-modified":
            return dataclasses.replace(record, status=304)
        return dataclasses.replace(record, status=fetched.outcome.status or 200, etag=fetched.etag,
                                   last_modified=fetched.last_modified, items=fetched.items, matches=fetched.matches,
                                   feed_title=fetched.feed_title)

    def _record_alone(self, fetched: Fetched, record: PollRecord) -> tuple[PollRecord, tuple[int, int]]:
        """Store one record on its own; when the database refuses it, record its source's failure instead."""
        try:
            return record, self._store.record_polls([record], owner=self._owner)[0]
        except StoreError as e:
            failed = self._record(dataclasses.replace(
                fetched, kind="error", outcome=Outcome(ok=False, status=fetched.outcome.status),
                error=f"not stored: {e}", items=(), matches={}), record.at)
            try:
                self._store.record_polls([failed], owner=self._owner)
            except StoreError as again:  # the database itself is gone: the source stays due as it was
                log.error("%s: its failure was not recorded either: %s", record.source, again)
            return failed, (0, 0)

    def _report(self, fetched: Fetched, record: PollRecord, count: tuple[int, int]) -> None:
        if record.result == "error":
            outcome = PollOutcome(fetched.source, "error", http_status=record.status, error=record.error,
                                  elapsed=fetched.elapsed)
        elif record.result == "not-modified":
            outcome = PollOutcome(fetched.source, "not-modified", http_status=304, elapsed=fetched.elapsed)
        else:
            items_new, matches_new = count
            outcome = PollOutcome(fetched.source, "new" if items_new else "unchanged", http_status=record.status,
                                  items_seen=fetched.items_seen, items_new=items_new, matches_new=matches_new,
                                  elapsed=fetched.elapsed, problems=fetched.problems)
        self.outcomes[outcome.source] = outcome
        if self._on_outcome is not None:
            self._on_outcome(outcome)

    def _without_known_stories(self, pending: list[Fetched], now: datetime) -> list[Fetched]:
        """Drop items whose story came through another route first (see the module's docstring)."""
        documents = [f for f in pending if f.kind == "document" and f.items]
        if not self._searches or not documents:
            return pending
        since = now - SAME_STORY_WITHIN
        is_search = {f.source: self._config[f.source].kind == "search" for f in documents}
        search_titles = [i.title for f in documents if is_search[f.source] for i in f.items]
        other_titles = [i.title for f in documents if not is_search[f.source] for i in f.items]
        seen_anywhere = self._store.titles_seen(search_titles, since=since) if search_titles else set()
        seen_in_search = (self._store.titles_seen(other_titles, since=since, sources=self._searches)
                          if other_titles else set())
        batch_all: set[str] = set()
        batch_search: set[str] = set()
        kept_all = []
        for f in pending:
            if f.kind == "document" and f.items:
                search = is_search[f.source]
                stored, earlier = (seen_anywhere, batch_all) if search else (seen_in_search, batch_search)
                kept = tuple(i for i in f.items if i.title not in stored and i.title not in earlier)
                if len(kept) < len(f.items):
                    log.info("%s: %d stories already stored through another source", f.source,
                             len(f.items) - len(kept))
                    f = dataclasses.replace(f, items=kept, matches={i.key: f.matches[i.key] for i in kept
                                                                    if i.key in f.matches})
                batch_all.update(i.title for i in kept)
                if search:
                    batch_search.update(i.title for i in kept)
            kept_all.append(f)
        return kept_all


def next_try(decision: Decision) -> str:
    """The tail of a failure's log line: when the source is tried again."""
    if decision.next_due_at is None:
        return f"; not polled again until its url changes or `watcher sources --enable` ({decision.disabled_reason})"
    return f"; next try at {decision.next_due_at.isoformat(timespec='seconds')}"
