"""Item identity: a key from the canonical link (the same article through any source), else the GUID, else a
content hash."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from urllib.parse import quote, unquote_plus, urljoin, urlsplit, urlunsplit

_TRACKING = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "yclid", "msclkid", "mc_cid", "mc_eid", "igshid", "_ga",
    "_gl", "ref", "ref_src", "ref_url", "referrer", "referer", "ito", "cmpid", "ocid",
})
# `from=rss`, `source=feed`: tracking only when the value says so; elsewhere these names carry meaning.
_TRACKING_IF_FEEDISH = frozenset({"from", "source", "src", "rss", "feed", "via"})
_AMP_PARAMS = frozenset({"amp", "amp_js_v", "usqp"})
_FEEDISH_VALUE = re.compile(r"rss|feed|atom|yandex|dzen|google")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_AMP_CACHE = re.compile(r"^[a-z0-9-]+\.cdn\.ampproject\.org$")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = "/:@!$&'()*+,;=~%"
_QUERY_SAFE = "/:@!$'()*+,;=?~%"
_AMP_SUFFIX = re.compile(r"\.amp(?=(?:\.html?)?$)")
_PATH_PARAMETERS = re.compile(r";[^/]*")
# An absolute http(s) URL whose parts are not in doubt (plain host, no fragment, no whitespace): split by
# this pattern it gives the parts urlsplit gives.
_SIMPLE_URL = re.compile(r"(https?)://([A-Za-z0-9.-]+)(?::([0-9]{1,5}))?(/[^\s?#\\]*)?(?:\?([^\s#]*))?\Z")
# A URL that may be its own canonical form: lower-case host, no credentials, query or fragment, a path
# that needs no escaping; _stays tells the rest (no AMP variant, no default port).
_CANONICAL = re.compile(r"(https?)://([a-z0-9-]+(?:\.[a-z0-9-]+)*)(?::([1-9][0-9]{0,4}))?(/[A-Za-z0-9._~/-]*)\Z")
# A URL that urljoin hands back unchanged against any base that parses: an absolute http(s) URL with a
# plain host, no whitespace, no ";" in its path (urlparse's parameters), no empty "?" or "#".
ABSOLUTE_URL = re.compile(r"https?://[A-Za-z0-9._~!$&'()*+,=:@%-]+(?:/[^\s?#;\\]*)?(?:\?[^\s#]+)?(?:#\S+)?\Z")

_Parts = tuple[str, str, int | None, str, str, str]


def canonical_link(url: str) -> str:
    """The form of ``url`` that identifies an article: tracking and AMP variants removed, parts normalised."""
    url = url.strip()
    if (plain := _CANONICAL.match(url)) and _stays(*plain.groups()):
        return url  # most links of most feeds
    parts = _split(url)
    return url if parts is None else _canonical(url, parts)


def _split(url: str) -> _Parts | None:
    """What _urlsplit gives, without urlsplit for a plain http(s) URL."""
    simple = _SIMPLE_URL.match(url)
    if simple and (simple.group(3) is None or int(simple.group(3)) <= 65535):
        scheme, hostname, port, path, query = simple.groups(default="")
        return scheme, hostname.lower(), int(port) if port else None, path, query, ""
    return _urlsplit(url)


def _urlsplit(url: str) -> _Parts | None:
    """(scheme, hostname, port, path, query, fragment) as urlsplit reads them; None when it refuses the URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    return parts.scheme.lower(), parts.hostname or "", port, parts.path, parts.query, parts.fragment


def _canonical(url: str, parts: _Parts) -> str:
    scheme, hostname, port, path, query, fragment = parts
    host = _host(hostname)
    if _AMP_CACHE.match(host):  # Google's AMP cache: /c/s/example.com/path is https://example.com/path
        return _amp_cache_target(path, query) or url
    if host.startswith("amp.") and host.count(".") >= 2:
        host = host[4:]
    # Credentials are dropped: they do not change the article, and a key must not carry them.
    netloc = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    path = _path(path, has_host=bool(host))
    # Hash-bang fragments route single-page sites to the article; any other fragment is a place in a page.
    fragment = fragment if fragment.startswith("!") else ""
    return urlunsplit((scheme, netloc, path, _query(query), fragment))


def _stays(scheme: str, host: str, port: str | None, path: str) -> bool:
    """Whether canonical_link leaves a URL matching _CANONICAL as it is."""
    if port is not None and (int(port) > 65535 or int(port) == _DEFAULT_PORTS[scheme]):
        return False
    if host.startswith("amp.") or host.endswith(".cdn.ampproject.org"):
        return False
    lowered = path.lower()
    return "amp" not in lowered or not (_AMP_SUFFIX.search(path) or "amp" in lowered.split("/"))


def link_and_key(link: str | None, base: str) -> tuple[str | None, str | None]:
    """resolve_link's link and, when there is one, its canonical_link: in one match for most links."""
    if link and (plain := _CANONICAL.match(link)) and _stays(*plain.groups()) and _parses(base):
        return link, link  # absolute (resolving hands it back) and already canonical
    resolved = resolve_link(link, base)
    return resolved, canonical_link(resolved) if resolved else None


def resolve_link(link: str | None, base: str) -> str | None:
    """An absolute http(s) link, resolved against the feed URL; None for other schemes or nothing."""
    if not link or not link.strip():
        return None
    if ABSOLUTE_URL.match(link) and _parses(base):
        return link  # what urljoin would give back, and http(s)
    return _joined(link, base)


def _joined(link: str, base: str) -> str | None:
    link = " ".join(link.split())
    try:
        absolute = urljoin(base, link)
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:
        return None
    return absolute if scheme in ("http", "https") else None


def content_identity(key: str, title: str, published: datetime | None, text: str) -> str | None:
    """What an item is beyond its link's parameters, for a feed that appends a changing one to every link
    (``?v=123``): its page (the key without query, fragment or ``;`` parameters), its title, and its
    publication time, or its text when it has no date of its own.

    None for an item whose key is no link with parameters (a plain link, a GUID, its content: nothing that
    could change under it), and for one with neither a title nor a date or text to tell it by: items of
    ``photo.php?id=1``, ``?id=2``, all titled "Photo", undated and without text, are not one item.
    """
    if not ("?" in key or "#" in key or ";" in key) or not title or not (published or text):
        return None
    if not key.startswith(("https://", "http://")):
        return None
    page = key.partition("?")[0].partition("#")[0]
    if ";" in page:
        page = _PATH_PARAMETERS.sub("", page)
    when = repr(published.timestamp()) if published is not None else f"\n{text}"
    return hashlib.sha256(f"{page}\n{title}\n{when}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def content_hash(title: str, text: str) -> str:
    """A stable key for an item with neither link nor usable GUID."""
    digest = hashlib.sha256(f"{title}\n{text}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"hash:{digest[:32]}"


def guid_key(feed_url: str, guid: str) -> str:
    """A GUID namespaced by its feed: GUIDs are only unique (when at all) within one feed."""
    return f"guid:{_canonical_feed(feed_url)}#{guid}"


@lru_cache(maxsize=256)
def _canonical_feed(feed_url: str) -> str:
    return canonical_link(feed_url)  # once per feed, not once per item


@lru_cache(maxsize=256)
def _parses(base: str) -> bool:
    try:
        urlsplit(base)
    except ValueError:
        return False
    return True


def unique_guids(guids: Sequence[str | None]) -> frozenset[str]:
    """The GUIDs that occur exactly once in a document (one outlet repeats one GUID on every item)."""
    seen: dict[str, int] = {}
    for guid in guids:
        if guid:
            seen[guid] = seen.get(guid, 0) + 1
    return frozenset(guid for guid, count in seen.items() if count == 1)


def _host(host: str) -> str:
    host = host.rstrip(".").lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _normalise_escapes(text: str, safe: str) -> str:
    """Upper-case escapes, decode escaped unreserved characters, escape raw non-ASCII as UTF-8 (RFC 3986 6.2.2)."""
    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(0)[1:], 16))
        return char if char in _UNRESERVED else match.group(0).upper()
    return quote(_ESCAPE.sub(fix, text), safe=safe)


def _path(path: str, *, has_host: bool) -> str:
    segments = path.split("/")
    # An `amp` segment anywhere (`/amp/news/1`, `/news/amp/1`, `/news/1/amp`) marks the AMP rendering.
    kept = [segment for segment in segments[1:] if segment.lower() != "amp"]
    if len(kept) < len(segments) - 1 and any(kept):
        segments = segments[:1] + kept
    path = _AMP_SUFFIX.sub("", "/".join(segments))
    path = _normalise_escapes(path, _PATH_SAFE)
    return path or ("/" if has_host else "")


def _query(query: str) -> str:
    if not query:
        return ""
    kept = []
    for piece in query.split("&"):
        name, equals, value = piece.partition("=")
        lowered = unquote_plus(name).strip().lower()
        if not lowered or _is_tracking(lowered, unquote_plus(value).lower()):
            continue
        kept.append((_normalise_escapes(name, _QUERY_SAFE), equals, _normalise_escapes(value, _QUERY_SAFE)))
    kept.sort()
    return "&".join(f"{name}{equals}{value}" for name, equals, value in kept)


def _is_tracking(name: str, value: str) -> bool:
    if name.startswith("utm_") or name in _TRACKING or name in _AMP_PARAMS:
        return True
    if name == "outputtype":
        return value == "amp"
    return name in _TRACKING_IF_FEEDISH and _FEEDISH_VALUE.search(value) is not None


def _amp_cache_target(path: str, query: str) -> str | None:
    match = re.match(r"^/[a-z]/(s/)?([^/]+)(/.*)?$", path)
    if not match:
        return None
    scheme = "https" if match.group(1) else "http"
    target = f"{scheme}://{match.group(2)}{match.group(3) or '/'}"
    return canonical_link(f"{target}?{query}" if query else target)
