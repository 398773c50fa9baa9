"""Rules across the watchlist's keys, checked once the schema has validated: unique names and ids,
references that resolve, queries that parse."""

from __future__ import annotations

from watcher.config.schema import Watchlist
from watcher.errors import QueryError

Path = tuple[str | int, ...]


def cross_check(watchlist: Watchlist) -> list[tuple[Path, str]]:
    """Rules across keys: unique names and ids, references that resolve, queries that parse."""
    problems: list[tuple[Path, str]] = []

    def unique(section: str, values: list[str], what: str, seen: dict[str, Path] | None = None) -> None:
        seen = {} if seen is None else seen
        for index, value in enumerate(values):
            if value in seen:
                first = seen[value]
                problems.append(((section, index, what), f"duplicate {what} {value!r} (first used at {_dotted(first)})"))
            else:
                seen[value] = (section, index, what)

    unique("sources", [s.name for s in watchlist.sources], "name")
    entry_ids: dict[str, Path] = {}
    unique("actors", [a.id for a in watchlist.actors], "id", entry_ids)
    unique("terms", [t.id for t in watchlist.terms], "id", entry_ids)
    unique("situations", [s.id for s in watchlist.situations], "id")
    unique("digests", [d.id for d in watchlist.digests], "id")

    actor_ids = {a.id for a in watchlist.actors}
    term_ids = {t.id for t in watchlist.terms}
    for i, situation in enumerate(watchlist.situations):
        for j, ref in enumerate(situation.actors):
            if ref not in actor_ids:
                problems.append((("situations", i, "actors", j), f"no actor has id {ref!r}"))
        for j, ref in enumerate(situation.terms):
            if ref not in term_ids:
                problems.append((("situations", i, "terms", j), f"no term has id {ref!r}"))
    situation_ids = {s.id for s in watchlist.situations}
    for i, source in enumerate(watchlist.sources):
        if source.search is None:
            continue
        for j, ref in enumerate(source.search.actors):
            if ref not in actor_ids | term_ids:
                problems.append((("sources", i, "search", "actors", j), f"no actor or term has id {ref!r}"))
        if source.search.situation and source.search.situation not in situation_ids:
            problems.append((("sources", i, "search", "situation"),
                             f"no situation has id {source.search.situation!r}"))
    for i, digest in enumerate(watchlist.digests):
        for j, ref in enumerate(digest.situations):
            if ref not in situation_ids:
                problems.append((("digests", i, "situations", j), f"no situation has id {ref!r}"))

    problems.extend(_query_problems(watchlist))
    return problems


def _query_problems(watchlist: Watchlist) -> list[tuple[Path, str]]:
    problems: list[tuple[Path, str]] = []
    queries: list[tuple[str, int, str]] = [
        *(("actors", i, a.query) for i, a in enumerate(watchlist.actors) if a.query is not None),
        *(("terms", i, t.query) for i, t in enumerate(watchlist.terms) if t.query is not None),
        *(("situations", i, s.query) for i, s in enumerate(watchlist.situations) if s.query is not None),
    ]
    if not queries:
        return problems
    from watcher.config.query import parse_query

    for section, i, query in queries:
        try:
            parse_query(query)
        except QueryError as e:
            problems.append(((section, i, "query"), f"{e} at position {e.position + 1}: {query!r}"))
    return problems


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


dotted = _dotted
