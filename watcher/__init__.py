"""watcher: poll news sources, match a watchlist of actors and terms, mail digests of what changed."""

__version__ = "0.1.0"
