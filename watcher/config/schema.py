"""The watchlist's schema: what a user may write in ``watchlist.yaml``, validated with pydantic.

Models are frozen and forbid unknown keys, so a typo is an error with its line, not a silent default.
Rules that span several keys (unique ids, references) live in :func:`cross_check`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, EmailStr, Field, field_validator

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


Id = Annotated[str, AfterValidator(_check_id)]
TimeZone = Annotated[str, AfterValidator(_check_timezone)]
HttpUrl = Annotated[str, AfterValidator(_check_url)]
Text = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Defaults(_Model):
    every: Duration = timedelta(minutes=30)
    timezone: TimeZone = "UTC"
    user_agent: str | None = None  # None: the fetcher's browser-like default (some outlets answer 403 otherwise)


class SourceConfig(_Model):
    name: Text
    url: HttpUrl
    every: Duration | None = None
    language: str | None = None
    timezone: TimeZone | None = None  # for zone-less dates in the feed
    enabled: bool = True
    tags: tuple[str, ...] = ()


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
    to: tuple[EmailStr, ...] = Field(min_length=1)
    schedule: Text
    timezone: TimeZone | None = None
    situations: tuple[Id, ...] = ()  # empty: all
    tags: tuple[str, ...] = ()  # only entries with one of these tags; empty: all
    skip_empty: bool = False
    min_interval: Duration = timedelta(minutes=30)  # for `schedule: immediate`

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        from watcher.service.schedule import parse_schedule  # the one home of schedule syntax

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
    for i, digest in enumerate(watchlist.digests):
        for j, ref in enumerate(digest.situations):
            if ref not in situation_ids:
                problems.append((("digests", i, "situations", j), f"no situation has id {ref!r}"))

    problems.extend(_query_problems(watchlist))
    return problems


def _query_problems(watchlist: Watchlist) -> list[tuple[Path, str]]:
    from watcher.errors import QueryError
    from watcher.match.query import parse_query

    problems: list[tuple[Path, str]] = []
    for section, entries in (("actors", watchlist.actors), ("terms", watchlist.terms),
                             ("situations", watchlist.situations)):
        for i, entry in enumerate(entries):
            if entry.query is None:
                continue
            try:
                parse_query(entry.query)
            except QueryError as e:
                problems.append(((section, i, "query"), f"{e} at position {e.position + 1}: {entry.query!r}"))
    return problems


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


dotted = _dotted
