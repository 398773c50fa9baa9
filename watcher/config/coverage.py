"""What each digest covers: its entries, its situations, and the section for entries outside them.

One rule for the digests that show entries (watcher.report) and for `watcher check`, which warns about an entry
that no digest will ever show.
"""

from __future__ import annotations

from collections.abc import Mapping

from watcher.config.schema import DigestConfig, EntryConfig, SituationConfig, Watchlist

# Not a valid watchlist id (ids start with a letter or digit), so it never names one of the user's situations.
OTHERS_ID = "_other"


def covered_entries(digest: DigestConfig, watchlist: Watchlist) -> dict[str, EntryConfig]:
    """The entries a digest reports on: its situations' actors and terms AND its tags; all when neither is set.

    With ``other_entries: false``, entries in none of its situations are not covered.
    """
    entries = {e.id: e for e in watchlist.entries}
    if digest.situations:
        wanted = set(digest.situations)
        ids = {i for s in watchlist.situations if s.id in wanted for i in (*s.actors, *s.terms)}
        entries = {k: v for k, v in entries.items() if k in ids}
    elif watchlist.situations and digest.other_entries is False:
        ids = {i for s in watchlist.situations for i in (*s.actors, *s.terms)}
        entries = {k: v for k, v in entries.items() if k in ids}
    if digest.tags:
        tags = set(digest.tags)
        entries = {k: v for k, v in entries.items() if tags.intersection(v.tags)}
    return entries


def situations_of(digest: DigestConfig, watchlist: Watchlist,
                  covered: Mapping[str, EntryConfig]) -> list[SituationConfig]:
    """The digest's sections: its situations (all when it names none), then one for the covered entries in none of
    them (``other_entries``); one built from every covered entry when the watchlist has no situations."""
    chosen = [s for s in watchlist.situations if not digest.situations or s.id in digest.situations]
    if not chosen:
        return [_section(digest.id, digest.title, covered)]
    inside = {i for s in chosen for i in (*s.actors, *s.terms)}
    outside = {k: v for k, v in covered.items() if k not in inside}
    if outside and digest.other_entries is not False:
        chosen.append(_section(OTHERS_ID, digest.other_entries, outside))
    return chosen


def unshown_entries(watchlist: Watchlist) -> list[tuple[int, str]]:
    """Entries that no digest will ever show: (index in ``watchlist.entries``, why), each digest's reason in it."""
    shown: dict[str, set[str]] = {}  # digest id -> the entries it shows
    for digest in watchlist.digests:
        covered = covered_entries(digest, watchlist)
        shown[digest.id] = {i for s in situations_of(digest, watchlist, covered) for i in (*s.actors, *s.terms)
                            if i in covered}
    out = []
    for index, entry in enumerate(watchlist.entries):
        if not watchlist.digests or any(entry.id in ids for ids in shown.values()):
            continue
        out.append((index, "no digest shows it: " + "; ".join(_reason(d, entry, watchlist) for d in watchlist.digests)))
    return out


def _reason(digest: DigestConfig, entry: EntryConfig, watchlist: Watchlist) -> str:
    if digest.tags and not set(digest.tags) & set(entry.tags):
        return f"{digest.id} shows the tags {', '.join(digest.tags)} only"
    if digest.situations:
        return f"{digest.id} shows the situations {', '.join(digest.situations)} only"
    return f"{digest.id} has other_entries: false and the entry is in no situation"


def _section(section_id: str, title: str, entries: Mapping[str, EntryConfig]) -> SituationConfig:
    # Built, not validated: OTHERS_ID is deliberately no valid id.
    return SituationConfig.model_construct(id=section_id, title=title, query=None, tags=(),
                           actors=tuple(e.id for e in entries.values() if e.kind != "term"),
                           terms=tuple(e.id for e in entries.values() if e.kind == "term"))
