"""Prometheus metrics of the service (the only module that imports prometheus-client).

Each Service owns one ``Metrics`` with its own registry: nothing is registered at import time, and two
services in one process (tests) never collide.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from watcher.models import PollOutcome
from watcher.redact import redact_text

_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60)


class Metrics:
    """Counters of polls, items, matches, errors and digests; fetch latency; a gauge of sources by state."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.polls = Counter("watcher_polls", "Polls by source and outcome", ["source", "outcome"], registry=r)
        self.items = Counter("watcher_items_new", "New items stored, by source", ["source"], registry=r)
        self.matches = Counter("watcher_matches_new", "New matches stored, by source", ["source"], registry=r)
        self.errors = Counter("watcher_poll_errors", "Failed polls, by source", ["source"], registry=r)
        self.latency = Histogram("watcher_poll_seconds", "Time to fetch, parse, match and store one source",
                                 buckets=_LATENCY_BUCKETS, registry=r)
        self.digests = Counter("watcher_digests_sent", "Digest messages accepted by the mail server",
                               ["digest"], registry=r)
        self.delivery_failures = Counter("watcher_delivery_failures", "Failed digest sends", ["digest"], registry=r)
        self.reloads = Counter("watcher_watchlist_reloads", "Watchlist reloads by result", ["result"], registry=r)
        self.sources = Gauge("watcher_sources", "Sources of the watchlist in force, by state", ["state"], registry=r)
        self.pruned = Counter("watcher_items_pruned", "Items without matches removed by retention", registry=r)

    def observe_poll(self, outcome: PollOutcome) -> None:
        """Count one poll's outcome."""
        source = redact_text(outcome.source)  # a label is served: a name written as a URL loses its password
        self.polls.labels(source, outcome.status).inc()
        self.latency.observe(outcome.elapsed)
        if outcome.status == "error":
            self.errors.labels(source).inc()
        if outcome.items_new:
            self.items.labels(source).inc(outcome.items_new)
        if outcome.matches_new:
            self.matches.labels(source).inc(outcome.matches_new)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


__all__ = ["Metrics"]
