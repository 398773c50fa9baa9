"""The match stage: watch entries in every spelling, script and case, found in one pass per item.

``compile_matcher(entries)`` once per watchlist load, then ``matcher.match(item)`` per item.
Rules and the query language are described in docs/matching.md.
"""

from watcher.config.query import Query, parse_query
from watcher.match.explain import Explanation
from watcher.match.matcher import Matcher, compile_matcher

__all__ = ["Explanation", "Matcher", "Query", "compile_matcher", "parse_query"]
