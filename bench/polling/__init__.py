"""The poll-cycle benchmark of issue 8: a generated feed server, generated watchlists, `watcher poll` and its
peers (rss2email, reader) run on the same feeds, and a Markdown report. Entry point: ``bench/poll_cycle.py``."""
