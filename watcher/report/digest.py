"""Build a digest from stored matches: pure data in, a frozen ``Digest`` out (no I/O, time comes in as ``now``).

Rendering lives in ``render.py`` and message composition in ``message.py``; this module only decides
what a digest says: per-entry sections, and per-situation sections (``situations.py``: attention, new and
quiet entries, new pairings, stories, sources) from the period's matches and the store's ``History``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from watcher.config.coverage import OTHERS_ID, covered_entries, situations_of
from watcher.config.schedule import parse_schedule
from watcher.config.schema import DigestConfig, EntryConfig, Watchlist
from watcher.models import EntryKind, MentionedItem, Period, StoredMatch
from watcher.report.bursts import find_bursts, situation_entries
from watcher.report.emerging import EmergingName, find_emerging
from watcher.report.key_items import key_items as key_items_of
from watcher.report.parts import DigestItem, Outlets, SourceProblem, clean_text, source_problems
from watcher.report.period import PeriodIndex, period_items
from watcher.report.situations import MAX_STORIES, SituationReport, build_situation, section_storylines, watched_keys
from watcher.report.trends import History, regular
from watcher.sources.health import Assessment

JSON_SCHEMA_VERSION = 1
MAX_ITEMS_PER_ENTRY = 20


@dataclass(frozen=True, slots=True)
class EntrySection:
    """Everything the period brought for one watch entry."""

    entry_id: str
    name: str
    kind: EntryKind
    item_count: int  # distinct items, before the cap
    outlet_count: int  # distinct outlets, before the cap
    items: tuple[DigestItem, ...]  # newest first, at most the cap
    more: int = 0  # items left out by the cap


@dataclass(frozen=True, slots=True)
class Digest:
    """One digest for one period: entry sections (actors first, then terms), situations and source problems."""

    digest_id: str
    title: str
    timezone: str  # IANA name the renderers show times in; datetimes here stay UTC
    period: Period
    generated_at: datetime
    sections: tuple[EntrySection, ...]
    source_problems: tuple[SourceProblem, ...] = ()
    total_items: int = 0  # distinct items shown: in the entry sections, or selected by a situation's query
    situations: tuple[SituationReport, ...] = ()
    query_items: int = 0  # of total_items, those that name no covered entry (a situation's query selected them)
    left_out: int = 0  # items about entries in no situation, left out by ``other_entries: false``
    emerging: tuple[EmergingName, ...] = ()  # names on no list, more and more beside watched entries (emerging.py)

    @property
    def empty(self) -> bool:
        """True when no covered entry was mentioned in the period and no query selected an item."""
        return not self.sections and not self.query_items

    @property
    def top(self) -> EntrySection | None:
        """The most mentioned entry (ties: by name), for headlines."""
        if not self.sections:
            return None
        return min(self.sections, key=lambda s: (-s.item_count, s.name.casefold(), s.entry_id))


def build_digest(digest: DigestConfig, watchlist: Watchlist,
                 matches: Sequence[StoredMatch] | Sequence[MentionedItem] | PeriodIndex,
                 sources: Sequence[Assessment], period: Period, *, now: datetime,
                 history: History | None = None, key_items: Mapping[str, Collection[int]] | None = None,
                 max_items: int = MAX_ITEMS_PER_ENTRY, max_stories: int = MAX_STORIES,
                 outlets: Outlets | None = None, window: PeriodIndex | None = None,
                 earlier: Sequence[MentionedItem] | None = None, spans: float = 1.0) -> Digest:
    """The digest of ``period``: entry sections, one section per situation, and problem sources (``sources``:
    each source's health assessed, watcher.sources.health.assess).

    ``matches`` are the store's items of the period (``Store.mentioned_items``, or their ``PeriodIndex``) or
    stored matches, which are filtered to the period here; ``history`` holds what the store knows about earlier
    periods (none: no baseline, everything is new); ``key_items`` maps a situation id to the ids of items that
    match its query (items that name no entry among them); ``outlets`` names the sources' outlets; ``window``
    holds the items of the storyline window before the period's end (``watcher.report.storylines``): each
    situation shows the storylines the period moved (none without a window); ``earlier``: the items beside
    watched entries over the ``spans`` period-lengths before it (``Store.leads``), the history of emerging
    names (None: none are looked for).
    """
    covered = covered_entries(digest, watchlist)
    history = history or History()
    index = matches if isinstance(matches, PeriodIndex) else PeriodIndex(period_items(matches, period), outlets)
    sections = [_section(entry, index, max_items) for entry_id, entry in covered.items() if entry_id in index.of_entry]
    kind_rank = {"person": 0, "organization": 0, "place": 0, "term": 1}
    sections.sort(key=lambda s: (kind_rank[s.kind], -s.item_count, s.name.casefold(), s.entry_id))
    about: set[int] = set().union(*(index.of_entry[s.entry_id] for s in sections))
    problems = source_problems(sources, regular=regular, items_per_period=history.source_items)
    names = watched_keys(covered)
    chosen = situations_of(digest, watchlist, covered)
    threads = {} if window is None else section_storylines(
        chosen, covered, window, lambda ids: key_items_of(watchlist, digest, window, ids), now=period.end,
        zone=ZoneInfo(digest.timezone or watchlist.defaults.timezone), new=index.items.keys(), names=names)
    trailing = parse_schedule(digest.schedule, "UTC").immediate  # an alert's window reaches back (bursts.py)
    built = (replace(build_situation(s, covered, index, period, history, (key_items or {}).get(s.id, ()), problems,
                                     max_stories=max_stories, names=names,
                                     storylines=[line for line in threads.get(s.id, ()) if line.moved]),
                     bursts=find_bursts(situation_entries(s, covered), covered, index, history, period,
                                        trailing=trailing))
             for s in chosen)
    # The section of entries outside every situation is left out when it has nothing to say.
    situations = tuple(s for s in built if s.situation_id != OTHERS_ID or not s.empty or s.attention or s.quiet)
    selected = {i for s in situations if s.query for i in (key_items or {}).get(s.situation_id, ()) if i in index.items}
    outside = {e.id for e in watchlist.entries} - {i for s in watchlist.situations for i in (*s.actors, *s.terms)}
    left_out = set().union(*(index.of_entry.get(e, ()) for e in outside)) - about - selected \
        if digest.other_entries is False and not digest.situations and watchlist.situations else set()
    return Digest(
        digest_id=digest.id,
        title=clean_text(digest.title),
        timezone=digest.timezone or watchlist.defaults.timezone,
        period=period,
        generated_at=now,
        sections=tuple(sections),
        source_problems=problems,
        total_items=len(about | selected),
        situations=situations,
        query_items=len(selected - about),
        left_out=len(left_out),
        emerging=find_emerging(index.items.values(), earlier, watchlist, outlets, spans=spans)
        if earlier is not None and history.since is not None and history.since <= period.start else (),
    )


def _section(entry: EntryConfig, index: PeriodIndex, max_items: int) -> EntrySection:
    items = index.of_entry[entry.id]  # oldest first
    # Snippets only for the items shown: the rest are counted.
    shown = [index.shown(i, (entry.id,)) for i in items[::-1][:max(max_items, 0)]]
    return EntrySection(
        entry_id=entry.id,
        name=clean_text(entry.name),
        kind=entry.kind,
        item_count=len(items),
        outlet_count=index.outlets(items),
        items=tuple(shown),
        more=len(items) - len(shown),
    )


def digest_to_json(d: Digest) -> dict[str, Any]:
    """A JSON-able dict of ``d``: field names as keys, datetimes as ISO 8601 UTC, plus ``schema_version``."""
    out = _jsonable(d)
    assert isinstance(out, dict)
    for name in out["emerging"]:  # ``with`` is a keyword in Python; spellings by script read best as an object
        name["with"] = name.pop("with_entries")
        name["spellings"] = dict(name["spellings"])
    return {"schema_version": JSON_SCHEMA_VERSION, **out}


def _jsonable(value: object) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    return value


