"""The match stage: watch entries in every spelling, script and case, found in one pass per item.

``compile_matcher(entries)`` once per watchlist load, then ``matcher.match(item)`` per item.
``QuerySieve`` asks one named query of many stored items (each folded once with ``fold_fields``).
Rules and the query language are described in docs/matching.md.
"""

from watcher.config.query import Query, parse_query
from watcher.match.explain import Explanation
from watcher.match.matcher import Matcher, compile_matcher
from watcher.match.namesakes import Namesake, namesake_key
from watcher.match.sieve import Folded, QuerySieve, fold_fields

__all__ = ["Explanation", "Folded", "Matcher", "Namesake", "Query", "QuerySieve", "compile_matcher", "fold_fields",
           "namesake_key", "parse_query"]
