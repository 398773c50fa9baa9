"""What a source needs beyond fetching a feed URL: finding a site's feed (``discover``), article text for
``fulltext`` sources (``fulltext``), OPML import and export (``opml``), and the stale flag (``stale``).

A news search's or YouTube channel's feed URL is derived from the watchlist alone, in
:mod:`watcher.config.feed_urls`.
"""
