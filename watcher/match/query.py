"""Placeholder until the matcher lands: the query parser's contract (see the matcher issue)."""

from __future__ import annotations

from watcher.errors import QueryError


def parse_query(text: str) -> object:
    """Parse a watchlist query; raise QueryError(position=...) when malformed."""
    depth = 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            raise QueryError("unbalanced ')'", position=i)
    if depth:
        raise QueryError("unclosed '('", position=len(text))
    return text
