"""The watchlist's schema: what a user may write in ``watchlist.yaml``, validated with pydantic.

Models are frozen and forbid unknown keys, so a typo is an error with its line, not a silent default.
Rules that span several keys (unique ids, references) live in :mod:`watcher.config.rules`.
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
from watcher.config.feed_urls import check_youtube, source_url
from watcher.config.placeholders import check_channel_url

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
ChannelUrl = Annotated[str, AfterValidator(check_channel_url)]
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
    display_name: Text | None = None  # how digests name the outlet; default: the feed's own title
    note: Text | None = None  # shown beside the outlet in digests: "state media, Russia", "opposition"
    url: HttpUrl = ""
    site: HttpUrl | None = None
    search: Annotated[SearchConfig | None, BeforeValidator(_search_shorthand)] = None
    youtube: Text | None = None  # a channel id (UC...) or a channel URL
    fulltext: bool = False  # fetch each new item's page and match on the article text
    # Links from the feed's content (item pages for fulltext, a site's feed links, their redirects) may lead to
    # loopback, private and link-local addresses; otherwise only to public ones and the source's own host:port.
    allow_private_links: bool = False
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
            check_youtube(self.youtube)
        if self.allow_private_links and not (self.fulltext or self.site):
            raise ValueError("allow_private_links: is about the links a feed's content leads to: it applies to "
                             "fulltext: true and site: sources only")
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
    given_names: tuple[Text, ...] = ()  # persons: their given names' spellings that `name` does not give (Serge)
    adjectives: bool = True  # places: their adjectives and compounds also match (карабахский, Karabakhi)
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
    to: tuple[EmailAddress, ...] = ()
    # Chat and webhook channels in apprise's URL syntax (tgram://, matrixs://, ntfys://, slack://, json://...), each
    # sent the digest's short form; secrets as {env:NAME} (watcher.config.placeholders).
    notify: tuple[ChannelUrl, ...] = ()
    link: HttpUrl | None = None  # where the full digest can be read: channel messages end with it
    schedule: Text
    timezone: TimeZone | None = None
    situations: tuple[Id, ...] = ()  # empty: all
    tags: tuple[str, ...] = ()  # only entries with one of these tags; empty: all
    skip_empty: bool = False
    min_interval: Duration = timedelta(minutes=30)  # for `schedule: immediate`
    # What makes an immediate digest alert: a situation's query (a key item; any item of a situation without a
    # query), a burst (an entry far above its own baseline, watcher.report.bursts), or either.
    alert_on: tuple[Literal["query", "burst"], ...] = ("query",)
    # The section for covered entries that are in none of the digest's situations: its title, or false to leave
    # them out (the digest then says how many items it left out).
    other_entries: Text | Literal[False] = "Other entries"

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        # Imported when a digest is validated: only watchlists with digests pay for the cron parser.
        from watcher.config.schedule import parse_schedule

        parse_schedule(value, "UTC")
        return value

    @model_validator(mode="after")
    def _someone_to_tell(self) -> DigestConfig:
        if not self.to and not self.notify:
            raise ValueError("a digest needs to: (mail addresses) or notify: (channel URLs), or both")
        if len(set(self.notify)) < len(self.notify):
            raise ValueError("notify: names the same channel URL twice")
        return self

    @model_validator(mode="after")
    def _alerts(self) -> DigestConfig:
        if not self.alert_on or len(set(self.alert_on)) < len(self.alert_on):
            raise ValueError("alert_on: list query, burst or both, each once")
        if self.alert_on == ("query",):  # the default: what every digest does
            return self
        from watcher.config.schedule import parse_schedule  # as in _valid_schedule

        if not parse_schedule(self.schedule, "UTC").immediate:
            raise ValueError("alert_on: only an immediate digest alerts (schedule: immediate)")
        return self


class Watchlist(_Model):
    defaults: Defaults = Defaults()
    sources: tuple[SourceConfig, ...] = ()
    actors: tuple[ActorConfig, ...] = ()
    terms: tuple[TermConfig, ...] = ()
    situations: tuple[SituationConfig, ...] = ()
    digests: tuple[DigestConfig, ...] = ()
    retention: Duration | None = None
    # A watchlist without sources is refused by the service (an editor that truncated the file, a full disk would
    # otherwise stop every poll); this says it is meant (a digests-only watchlist, a paused desk).
    allow_no_sources: bool = False

    @model_validator(mode="after")
    def _derive_urls(self) -> Watchlist:
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
