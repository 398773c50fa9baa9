"""Parse stage: fetched bytes to a ParsedFeed of normalised Items (feedparser stays inside this package)."""

from watcher.parse.feed import parse_feed
from watcher.parse.identity import canonical_link
from watcher.parse.text import html_to_text

__all__ = ["canonical_link", "html_to_text", "parse_feed"]
