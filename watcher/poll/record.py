"""The writing half of a poll: what the shards found, stored many sources per transaction.

A source's items, matches and fetch state are committed together, then its next due time: a crash between
the two polls the source again, it never loses an item. Batching is what makes a poll of a thousand feeds
cheap: one transaction (and one statement per table) per ``BATCH_SOURCES`` sources instead of five per source.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from watcher.config import SourceConfig, Watchlist
from watcher.models import PollOutcome
from watcher.poll.shard import Fetched
from watcher.service.decide import Decision, decide
from watcher.store import Store, Success

log = logging.getLogger("watcher.poll")
BATCH_SOURCES = 50  # sources per transaction
BATCH_ITEMS = 2_500  # ... or fewer, when their new items reach this


class Recorder:
    """Collects ``Fetched`` results and stores them in batches; ``outcomes`` holds every source recorded."""

    def __init__(self, store: Store, *, watchlist: Watchlist, sources: Sequence[SourceConfig],
                 failures: Mapping[str, int], clock: Callable[[], datetime], owner: str | None = None,
                 on_outcome: Callable[[PollOutcome], None] | None = None) -> None:
        self._store = store
        self._watchlist = watchlist
        self._config = {s.name: s for s in sources}
        self._failures = failures
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
        decisions = {f.source: self._decide(f, now) for f in pending}
        outcomes: list[PollOutcome] = []
        for f in (f for f in pending if f.kind == "error"):
            outcomes.append(self._record_error(f, decisions[f.source], now))
        unchanged = [f.source for f in pending if f.kind == "not-modified"]
        self._store.record_not_modified_many(unchanged, now=now)
        outcomes += [PollOutcome(f.source, "not-modified", http_status=304, elapsed=f.elapsed)
                     for f in pending if f.kind == "not-modified"]
        documents = self._without_known_stories([f for f in pending if f.kind == "document"], now)
        counts = self._store.record_many([
            Success(f.source, now, f.outcome.status or 200, f.etag, f.last_modified, f.items, f.matches,
                    f.outcome.permanent_redirect) for f in documents])
        for f, (items_new, matches_new) in zip(documents, counts, strict=True):
            outcomes.append(PollOutcome(f.source, "new" if items_new else "unchanged", http_status=f.outcome.status,
                                        items_seen=f.items_seen, items_new=items_new, matches_new=matches_new,
                                        elapsed=f.elapsed, problems=f.problems))
            moved = f.outcome.permanent_redirect
            if moved and moved != self._config[f.source].url:
                log.warning("%s: moved permanently to %s; polling the new URL, update its url in the watchlist",
                            f.source, moved)
        self._store.reschedule_many([(f.source, d.next_due_at, d.disabled_reason)
                                     for f, d in ((f, decisions[f.source]) for f in pending) if f.kind != "error"],
                                    owner=self._owner)
        for outcome in outcomes:
            self.outcomes[outcome.source] = outcome
            if self._on_outcome is not None:
                self._on_outcome(outcome)

    def _decide(self, fetched: Fetched, now: datetime) -> Decision:
        source = self._config[fetched.source]
        return decide(fetched.outcome, failures=self._failures.get(fetched.source, 0),
                      interval=self._watchlist.interval(source), now=now, seed=f"{source.name}|{now.isoformat()}")

    def _record_error(self, fetched: Fetched, decision: Decision, now: datetime) -> PollOutcome:
        self._store.reschedule(fetched.source, owner=self._owner, next_due_at=decision.next_due_at,
                               disabled_reason=decision.disabled_reason)
        error = f"disabled: {fetched.error}" if decision.disabled_reason else str(fetched.error)
        self._store.record_failure(fetched.source, now=now, error=error, status=fetched.outcome.status)
        log.warning("%s: %s%s", fetched.source, error, next_try(decision))
        return PollOutcome(fetched.source, "error", http_status=fetched.outcome.status, error=error,
                           elapsed=fetched.elapsed)

    def _without_known_stories(self, documents: list[Fetched], now: datetime) -> list[Fetched]:
        """Drop items whose story came through another route first: a search result whose title is stored (or
        came earlier in this batch), a feed item whose title came through a search (see watcher.sources.poll)."""
        if not self._searches:
            return documents
        from watcher.sources.poll import SAME_STORY_WITHIN  # here: a poll without searches never needs it

        since = now - SAME_STORY_WITHIN
        is_search = {name: self._config[name].kind == "search" for name in (f.source for f in documents)}
        search_titles = [i.title for f in documents if is_search[f.source] for i in f.items]
        other_titles = [i.title for f in documents if not is_search[f.source] for i in f.items]
        seen_anywhere = self._store.titles_seen(search_titles, since=since) if search_titles else set()
        seen_in_search = (self._store.titles_seen(other_titles, since=since, sources=self._searches)
                          if other_titles else set())
        batch_all: set[str] = set()
        batch_search: set[str] = set()
        kept_documents = []
        for f in documents:
            search = is_search[f.source]
            stored, earlier = (seen_anywhere, batch_all) if search else (seen_in_search, batch_search)
            kept = tuple(i for i in f.items if i.title not in stored and i.title not in earlier)
            if len(kept) < len(f.items):
                log.info("%s: %d stories already stored through another source", f.source, len(f.items) - len(kept))
                f = dataclasses.replace(f, items=kept, matches={i.key: f.matches[i.key] for i in kept
                                                                if i.key in f.matches})
            batch_all.update(i.title for i in kept)
            if search:
                batch_search.update(i.title for i in kept)
            kept_documents.append(f)
        return kept_documents


def next_try(decision: Decision) -> str:
    """The tail of a failure's log line: when the source is tried again."""
    if decision.next_due_at is None:
        return f"; not polled again until its url changes or `watcher sources --enable` ({decision.disabled_reason})"
    return f"; next try at {decision.next_due_at.isoformat(timespec='seconds')}"
