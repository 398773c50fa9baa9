"""Feed URLs of the kinds of source that are not a feed URL already: news searches and YouTube channels.

Pure functions of the watchlist: no network. A site's feed, and a YouTube channel known only by its page
(``/@handle``), are discovered at poll time (``watcher.sources.discover``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote_plus, urlencode, urlsplit

if TYPE_CHECKING:
    from watcher.config.schema import SearchConfig, SourceConfig, Watchlist

_CHANNEL_ID = re.compile(r"^UC[0-9A-Za-z_-]{22}$")
_YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com"})
# Google News needs a country with the language; these are the outlets' own countries.
_COUNTRY_OF = {"en": "US", "ru": "RU", "hy": "AM", "az": "AZ", "ka": "GE", "tr": "TR", "fa": "IR", "fr": "FR"}


def check_youtube(value: str) -> None:
    """Raise ValueError unless ``value`` is a channel id or a YouTube channel, user, playlist or handle URL."""
    if _CHANNEL_ID.match(value):
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() not in _YOUTUBE_HOSTS:
        raise ValueError(f"{value!r} is neither a channel id (UC + 22 characters) nor a youtube.com URL")
    if _youtube_query(value) is None and not _is_channel_page(parts.path):
        raise ValueError(f"{value!r} is not a channel URL: use /channel/UC..., /@handle, /user/NAME or a playlist")


def youtube_feed_url(value: str, base: str) -> str | None:
    """The Atom feed of a channel id or channel URL; None when only the channel page can tell (``/@handle``)."""
    query = _youtube_query(value)
    return f"{base}?{urlencode(query)}" if query else None


def _youtube_query(value: str) -> dict[str, str] | None:
    if _CHANNEL_ID.match(value):
        return {"channel_id": value}
    parts = urlsplit(value)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 2 and segments[0] == "channel" and _CHANNEL_ID.match(segments[1]):
        return {"channel_id": segments[1]}
    if len(segments) >= 2 and segments[0] == "user":
        return {"user": segments[1]}
    playlist = parse_qs(parts.query).get("list")
    if segments[:1] == ["playlist"] and playlist:
        return {"playlist_id": playlist[0]}
    return None


def _is_channel_page(path: str) -> bool:
    segments = [s for s in path.split("/") if s]
    return bool(segments) and (segments[0].startswith("@") or (segments[0] == "c" and len(segments) > 1))


def search_terms(search: SearchConfig, watchlist: Watchlist) -> list[str]:
    """The spellings a search looks for: its actors' (name and aliases), its situation's, unknown ids skipped."""
    entries = {e.id: e for e in watchlist.entries}
    ids = list(search.actors)
    if search.situation:
        situation = next((s for s in watchlist.situations if s.id == search.situation), None)
        if situation is not None:
            ids += [*situation.actors, *situation.terms]
    spellings: list[str] = []
    for entry_id in dict.fromkeys(ids):
        entry = entries.get(entry_id)
        if entry is not None:
            spellings += [entry.name, *entry.aliases]
    return list(dict.fromkeys(spellings))


def search_query(search: SearchConfig, watchlist: Watchlist) -> str:
    """The Google News query text: ``(A OR "B C") hand-written site:x when:7d``."""
    parts = []
    terms = [f'"{t}"' if re.search(r"\s", t) else t for t in (t.replace('"', "") for t in search_terms(search, watchlist))]
    if terms:
        parts.append(terms[0] if len(terms) == 1 else f"({' OR '.join(terms)})")
    if search.query:
        parts.append(search.query)
    if search.site:
        parts.append(f"site:{search.site}")
    if search.when:
        parts.append(f"when:{search.when}")
    return " ".join(parts)


def search_url(search: SearchConfig, watchlist: Watchlist, base: str) -> str:
    """The Google News RSS search URL (``q``, ``hl``, ``gl``, ``ceid``) of ``search``."""
    lang = search.lang
    country = (search.country or _COUNTRY_OF.get(lang.split("-")[0], "US")).upper()
    hl = lang if "-" in lang or lang != "en" else f"en-{country}"
    ceid = f"{country}:{lang.split('-')[0]}"
    return f"{base}?q={quote_plus(search_query(search, watchlist))}&hl={hl}&gl={country}&ceid={quote_plus(ceid, safe=':')}"


def source_url(source: SourceConfig, watchlist: Watchlist) -> str:
    """What the store records and the poll starts from: the feed, or the page whose feed is discovered."""
    if source.search is not None:
        return search_url(source.search, watchlist, watchlist.defaults.search_url)
    if source.youtube is not None:
        return youtube_feed_url(source.youtube, watchlist.defaults.youtube_url) or source.youtube
    return source.site or source.url


def discovers(source: SourceConfig) -> bool:
    """Whether the poll must find this source's feed on a page (a site, or a channel known by its handle)."""
    return source.site is not None or (source.youtube is not None and _youtube_query(source.youtube) is None)
