"""Kinds of source beyond a feed URL: sites (feed discovery), news searches, YouTube channels, article text,
OPML import and export, and the stale flag.

Modules: ``kinds`` (feed URLs, pure), ``discover`` (a site's feed), ``fulltext`` (article text), ``opml``,
``stale``, and ``poll`` (the poll's hooks). Only the light, pure ones are imported here: validating a
watchlist imports this package and must not pay for the HTTP or HTML libraries.
"""

from watcher.sources.kinds import (
    discovers,
    search_query,
    search_url,
    source_url,
    youtube_feed_url,
)
from watcher.sources.stale import Staleness, staleness

__all__ = ["Staleness", "discovers", "search_query", "search_url", "source_url", "staleness", "youtube_feed_url"]
