"""The watchlist's schema: what a user may write in ``watchlist.yaml``, validated with pydantic.

Models are frozen and forbid unknown keys, so a typo is an error with its line, not a silent default.
Rules that span several keys (unique ids, references) live in :func:`cross_check`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from watcher.config.durations import parse_duration

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"{value!r} is not an id: use lower-case letters, digits, '-', '_' or '.'")
    return value


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}: use an IANA name such as Asia/Yerevan or UTC") from None
    return value


def _check_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


def _check_email(value: str) -> str:
    # pydantic's EmailStr check and messages, imported only when a digest has addresses: EmailStr itself
    # loads email_validator and importlib.metadata when the schema is built, a third of this module's import.
    from pydantic.networks import validate_email

    return validate_email(value)[1]


Id = Annotated[str, AfterValidator(_check_id)]
EmailAddress = Annotated[str, AfterValidator(_check_email)]
TimeZone = Annotated[str, AfterValidator(_check_timezone)]
HttpUrl = Annotated[str, AfterValidator(_check_url)]
Text = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Defaults(_Model):
    every: Duration = timedelta(minutes=30)
    timezone: TimeZone = "UTC"
    user_agent: str | None = None  # None: the fetcher's browser-like default (some outlets answer 403 otherwise)
    # Where `search:` and `youtube:` sources point: a mirror, a proxy, or a local server in tests.
    search_url: HttpUrl = "https://news.google.com/rss/search"
    youtube_url: HttpUrl = "https://www.youtube.com/feeds/videos.xml"


def _search_shorthand(value: object) -> object:
    return {"query": value} if isinstance(value, str) else value


def _check_when(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[1-9][0-9]*[hdmy]", value):
        raise ValueError(f"{value!r} is not a news-search age: write 12h, 7d, 1m or 1y")
    return value


def _check_site(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}(/[^\s]*)?", value.lower()):
        raise ValueError(f"{value!r} is not a domain such as armenpress.am")
    return value


class SearchConfig(_Model):
    """A Google News RSS search: a hand-written query, actors' spellings or a situation's, narrowed by site and age."""

    query: str | None = None
    actors: tuple[Id, ...] = ()
    situation: Id | None = None
    site: Annotated[str | None, AfterValidator(_check_site)] = None
    when: Annotated[str | None, AfterValidator(_check_when)] = None
    lang: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")] = "en"
    country: Annotated[str | None, Field(pattern=r"^[A-Za-z]{2}$")] = None  # gl; default from lang

    @model_validator(mode="after")
    def _something_to_search(self) -> SearchConfig:
        if not (self.query or self.actors or self.situation or self.site):
            raise ValueError("a search needs query:, actors:, situation: or site:")
        return self


SourceKind = Literal["url", "site", "search", "youtube"]
_KINDS: tuple[SourceKind, ...] = ("url", "site", "search", "youtube")


class SourceConfig(_Model):
    """One source. Exactly one of url (a feed), site (a homepage whose feed is discovered), search or youtube.

    For the other kinds ``url`` is filled in when the Watchlist is validated: the search or channel feed, or
    the homepage (site) whose feed the poll discovers.
    """

    name: Text
    url: HttpUrl = ""
    site: HttpUrl | None = None
    search: Annotated[SearchConfig | None, BeforeValidator(_search_shorthand)] = None
    youtube: Text | None = None  # a channel id (UC...) or a channel URL
    fulltext: bool = False  # fetch each new item's page and match on the article text
    every: Duration | None = None
    language: str | None = None
    timezone: TimeZone | None = None  # for zone-less dates in the feed
    enabled: bool = True
    tags: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _one_kind(self) -> SourceConfig:
        given = [k for k in _KINDS if getattr(self, k)]
        if len(given) != 1:
            found = f"found {', '.join(given)}" if given else "found none"
            raise ValueError(f"give exactly one of url:, site:, search:, youtube: ({found})")
        if self.youtube is not None:
            from watcher.sources.kinds import (
                check_youtube,  # the one home of channel syntax
            )

            check_youtube(self.youtube)
        return self

    @property
    def kind(self) -> SourceKind:
        """Which of url, site, search, youtube this source is."""
        return next((k for k in _KINDS[1:] if getattr(self, k)), "url")


class EntryConfig(_Model):
    """An actor (person, organisation, place) or a term the analyst follows."""

    id: Id
    name: Text
    kind: Literal["person", "organization", "place", "term"] = "person"
    aliases: tuple[Text, ...] = ()
    tags: tuple[str, ...] = ()
    surname: bool = True  # persons: also match the surname alone
    context: tuple[Text, ...] = ()  # a mention counts only when one of these is in the same item
    exclude: tuple[Text, ...] = ()  # phrases that are someone else (Tigran Sargsyan for Serzh Sargsyan)
    query: str | None = None


class TermConfig(EntryConfig):
    kind: Literal["term"] = "term"


class ActorConfig(EntryConfig):
    kind: Literal["person", "organization", "place"] = "person"


class SituationConfig(_Model):
    id: Id
    title: Text
    actors: tuple[Id, ...] = ()
    terms: tuple[Id, ...] = ()
    query: str | None = None
    tags: tuple[str, ...] = ()


class DigestConfig(_Model):
    id: Id
    title: Text
    to: tuple[EmailAddress, ...] = Field(min_length=1)
    schedule: Text
    timezone: TimeZone | None = None
    situations: tuple[Id, ...] = ()  # empty: all
    tags: tuple[str, ...] = ()  # only entries with one of these tags; empty: all
    skip_empty: bool = False
    min_interval: Duration = timedelta(minutes=30)  # for `schedule: immediate`

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        from watcher.service.schedule import (
            parse_schedule,  # the one home of schedule syntax
        )

        parse_schedule(value, "UTC")
        return value


class Watchlist(_Model):
    defaults: Defaults = Defaults()
    sources: tuple[SourceConfig, ...] = ()
    actors: tuple[ActorConfig, ...] = ()
    terms: tuple[TermConfig, ...] = ()
    situations: tuple[SituationConfig, ...] = ()
    digests: tuple[DigestConfig, ...] = ()
    retention: Duration | None = None

    @model_validator(mode="after")
    def _derive_urls(self) -> Watchlist:
        from watcher.sources.kinds import source_url

        derived = tuple(s if s.url else s.model_copy(update={"url": source_url(s, self)}) for s in self.sources)
        object.__setattr__(self, "sources", derived)  # frozen: filled once, while validating
        return self

    @property
    def entries(self) -> tuple[EntryConfig, ...]:
        """Actors then terms: everything the matcher looks for."""
        return self.actors + self.terms

    def source(self, name: str) -> SourceConfig:
        return next(s for s in self.sources if s.name == name)

    def digest(self, digest_id: str) -> DigestConfig:
        return next(d for d in self.digests if d.id == digest_id)

    def interval(self, source: SourceConfig) -> timedelta:
        return source.every or self.defaults.every

    def timezone_of(self, source: SourceConfig) -> str:
        return source.timezone or self.defaults.timezone


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
        return problems  # without importing the matcher package, which `watcher check` need not pay for
    from watcher.errors import QueryError
    from watcher.match.query import parse_query

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
