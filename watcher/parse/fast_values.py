"""Small pieces of the lxml fast path: element names, links and text as feedparser leaves them.

What feedparser knows is written out here as data, copied from feedparser 6.0 (its ``namespaces`` map,
the elements its ``_start_``/``_end_`` handlers take, its URL join and its windows-1252 fix), so that no
private name of feedparser is imported. tests/test_parse_fast.py holds the fast path equal to feedparser
over feedparser's own test corpus, which exercises every handler, and probes the tables through
``feedparser.parse``; a feedparser release that changes them fails those tests.
"""

from __future__ import annotations

import contextlib
import re
import urllib.parse
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from watcher.parse.identity import ABSOLUTE_URL

# Elements with a feedparser handler whose effect never reaches the fields feed.py reads.
_HARMLESS = frozenset({"category", "dc:subject", "media:category", "media:rating", "media:credit", "media:restriction",
                       "media:license", "media:content", "media:thumbnail", "media:group", "media:player",
                       "enclosure", "keywords"})
# Keys feed.py reads from an entry: an element without a handler stored under one of them would change it.
_READ_KEYS = frozenset({"title", "summary", "summary_detail", "content", "links", "link", "guidislink", "id",
                        "author", "published", "updated", "created", "published_parsed", "updated_parsed",
                        "created_parsed", "source", "title_detail"})
DATES = {"pubdate": "published", "published": "published", "issued": "published", "dc:date": "updated",
         "updated": "updated", "modified": "updated", "lastbuilddate": "updated", "created": "created"}
FEED_KEYS = frozenset({"title", "dc:title", "media:title", "link", "language", "dc:language"})
TYPES = {"text": "text/plain", "plain": "text/plain", "html": "text/html", "text/plain": "text/plain",
         "text/html": "text/html"}
# A scheme not followed by "//" (urn:, tag:): no network location that could fail to parse, and
# feedparser's fix for extra slashes has nothing to do.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(?!//)")
_C1 = re.compile("[\x80-\x9f]")
_BEYOND_LATIN1 = re.compile("[^\x00-\xff]")
# The C1 controls feedparser reads as the windows-1252 characters of the same byte (the five bytes
# windows-1252 leaves undefined stay as they are).
_CP1252 = {code: bytes([code]).decode("cp1252") for code in range(0x80, 0xA0)
           if bytes([code]).decode("cp1252", "ignore")}
# feedparser's URL join first drops extra slashes after a scheme ("http:////x" is "http://x").
_EXTRA_SLASHES = re.compile("^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
# Namespace URIs (lower case) feedparser knows, and the prefix it files their elements under whatever
# prefix a document gives them.
NAMESPACES = {
    "": "",
    "http://backend.userland.com/rss": "",
    "http://blogs.law.harvard.edu/tech/rss": "",
    "http://example.com/necho": "",
    "http://example.com/newformat#": "",
    "http://my.netscape.com/rdf/simple/0.9/": "",
    "http://purl.org/atom/ns#": "",
    "http://purl.org/echo/": "",
    "http://purl.org/pie/": "",
    "http://purl.org/rss/1.0/": "",
    "http://purl.org/rss/1.0/modules/rss091#": "",
    "http://www.w3.org/2005/atom": "",
    "uri/of/echo/namespace#": "",
    "http://webns.net/mvcb/": "admin",
    "http://purl.org/rss/1.0/modules/aggregation/": "ag",
    "http://purl.org/rss/1.0/modules/annotate/": "annotate",
    "http://media.tangent.org/rss/1.0/": "audio",
    "http://backend.userland.com/blogchannelmodule": "blogChannel",
    "http://creativecommons.org/ns#license": "cc",
    "http://web.resource.org/cc/": "cc",
    "http://purl.org/rss/1.0/modules/company": "co",
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://my.theinfo.org/changed/1.0/rss/": "cp",
    "http://backend.userland.com/creativecommonsrssmodule": "creativeCommons",
    "http://cyber.law.harvard.edu/rss/creativecommonsrssmodule.html": "creativeCommons",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://purl.org/dc/terms/": "dcterms",
    "http://purl.org/rss/1.0/modules/email/": "email",
    "http://purl.org/rss/1.0/modules/event/": "ev",
    "http://rssnamespace.org/feedburner/ext/1.0": "feedburner",
    "http://freshmeat.net/rss/fm/": "fm",
    "http://xmlns.com/foaf/0.1/": "foaf",
    "http://www.w3.org/2003/01/geo/wgs84_pos#": "geo",
    "http://www.georss.org/georss": "georss",
    "http://www.opengis.net/gml": "gml",
    "http://postneo.com/icbm/": "icbm",
    "http://purl.org/rss/1.0/modules/image/": "image",
    "http://example.com/dtds/podcast-1.0.dtd": "itunes",
    "http://www.itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "http://purl.org/rss/1.0/modules/link/": "l",
    "http://search.yahoo.com/mrss": "media",
    "http://search.yahoo.com/mrss/": "media",
    "http://madskills.com/public/xml/rss/module/pingback/": "pingback",
    "http://prismstandard.org/namespaces/1.2/basic/": "prism",
    "http://podlove.org/simple-chapters": "psc",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
    "http://www.w3.org/2000/01/rdf-schema#": "rdfs",
    "http://purl.org/rss/1.0/modules/reference/": "ref",
    "http://purl.org/rss/1.0/modules/richequiv/": "reqv",
    "http://purl.org/rss/1.0/modules/search/": "search",
    "http://purl.org/rss/1.0/modules/slash/": "slash",
    "http://schemas.xmlsoap.org/soap/envelope/": "soap",
    "http://purl.org/rss/1.0/modules/servicestatus/": "ss",
    "http://hacks.benhammersley.com/rss/streaming/": "str",
    "http://purl.org/rss/1.0/modules/subscription/": "sub",
    "http://purl.org/rss/1.0/modules/syndication/": "sy",
    "http://schemas.pocketsoap.com/rss/mydescmodule/": "szf",
    "http://purl.org/rss/1.0/modules/taxonomy/": "taxo",
    "http://purl.org/rss/1.0/modules/threading/": "thr",
    "http://purl.org/rss/1.0/modules/textinput/": "ti",
    "http://madskills.com/public/xml/rss/module/trackback/": "trackback",
    "http://wellformedweb.org/commentapi/": "wfw",
    "http://purl.org/rss/1.0/modules/wiki/": "wiki",
    "http://www.w3.org/1999/xhtml": "xhtml",
    "http://www.w3.org/1999/xlink": "xlink",
    "http://www.w3.org/xml/1998/namespace": "xml",
}
# The element names (":" as "_") feedparser has a handler for; an element without one is stored under its
# own name, which matters only when that name is one feed.py reads.
_HANDLED = frozenset({
    "abstract", "author", "body", "category", "cc_license", "channel", "cloud", "content", "content_encoded",
    "contributor", "copyright", "created", "creativecommons_license", "dc_author", "dc_contributor", "dc_creator",
    "dc_date", "dc_description", "dc_language", "dc_publisher", "dc_rights", "dc_subject", "dc_title",
    "dcterms_created", "dcterms_issued", "dcterms_modified", "dcterms_valid", "description", "email", "enclosure",
    "entry", "expirationdate", "feed", "feedburner_browserfriendly", "fullitem", "generator", "geom", "georss_box",
    "georss_line", "georss_point", "georss_polygon", "georss_where", "georssgeom", "gml_exterior", "gml_linearring",
    "gml_linestring", "gml_point", "gml_polygon", "gml_pos", "gml_poslist", "guid", "height", "homepage", "id",
    "image", "info", "issued", "item", "itunes_author", "itunes_block", "itunes_category", "itunes_email",
    "itunes_explicit", "itunes_image", "itunes_keywords", "itunes_link", "itunes_name", "itunes_owner",
    "itunes_subtitle", "itunes_summary", "keywords", "language", "lastbuilddate", "link", "managingeditor",
    "media_category", "media_content", "media_credit", "media_description", "media_group", "media_keywords",
    "media_license", "media_player", "media_rating", "media_restriction", "media_thumbnail", "media_title",
    "modified", "name", "newlocation", "psc_chapter", "psc_chapters", "pubdate", "published", "rights", "rss",
    "source", "subtitle", "summary", "tagline", "tags", "textinput", "title", "updated", "uri", "url", "webmaster",
    "where", "width", "xhtml_body",
})
# Content types feedparser takes for HTML, by the short names it maps first.
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})


class HandOff(Exception):
    """The document needs feedparser."""


def key_of(tag: Any, prefix: str | None, namespaces: Mapping[str, str]) -> tuple[str, bool]:
    """The element's name as feedparser dispatches it ("" for comments), and whether the tag alone decides it."""
    if not isinstance(tag, str):
        return "", True
    namespace, _, local = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
    lowered = namespace.lower()
    if "backend.userland.com/rss" in lowered:
        lowered = "http://backend.userland.com/rss"
    known = namespaces.get(lowered)
    # An unknown namespace is dispatched by the prefix the document gave it, which the tag does not show.
    name = known if known is not None else prefix
    key = f"{name}:{local}".lower() if name else local.lower()
    return key, known is not None


@lru_cache(maxsize=4096)  # bounded: a hostile feed may invent any number of names
def is_harmless(key: str) -> bool:
    """True for an element whose feedparser reading never reaches what feed.py reads: a handler with no
    effect on those fields, or no handler and a key feed.py never reads."""
    if key in _HARMLESS:
        return True
    method = key.replace(":", "_")
    if method in _HANDLED:
        return False
    return method not in _READ_KEYS and key not in _READ_KEYS


def resolver(base: str) -> Callable[[str], str]:
    """feedparser's resolution of a link against ``base``, skipping the join where urljoin would hand the
    link back unchanged: an absolute http(s) link, or one in a scheme other than the base's."""
    try:
        base_scheme = urlsplit(base).scheme
    except ValueError:
        return lambda value: urljoin(base, value)

    def resolve(value: str) -> str:
        if ABSOLUTE_URL.match(value):
            return value
        scheme = _SCHEME.match(value)
        if scheme is not None and scheme.group(1).lower() != base_scheme:
            return value
        return urljoin(base, value)
    return resolve


def urljoin(base: str, uri: str) -> str:
    """``uri`` resolved against ``base`` as feedparser resolves it: extra slashes after the scheme dropped,
    and "" for what urllib cannot join."""
    uri = _EXTRA_SLASHES.sub(r"\1\3", uri)
    try:
        return urllib.parse.urljoin(base, uri)
    except ValueError:
        return ""


def href_of(element: Any) -> str | None:
    """feedparser's _enforce_href: url, uri or href when non-empty, else href even when empty."""
    attributes = element.attrib
    if not attributes:
        return None
    if not "".join(attributes).islower():  # feedparser lowers attribute names
        attributes = {name.lower(): value for name, value in attributes.items()}
    href: str | None = attributes.get("url", attributes.get("uri", attributes.get("href")))
    return href if href else attributes.get("href")


def alternate_html(element: Any, rel: str) -> bool:
    """Whether a link with this (lower-case) rel is the alternate HTML page, which feedparser makes ``link``."""
    if rel != "alternate":
        return False
    kind = element.get("type")
    return not kind or kind.lower() in _HTML_TYPES


def fix(value: str) -> str:
    """feedparser's last touches on text: UTF-8 read as Latin-1 is undone, C1 controls become cp1252."""
    if value.isascii():
        return value
    if not _BEYOND_LATIN1.search(value):
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            value = value.encode("iso-8859-1").decode("utf-8")
    return value.translate(_CP1252) if _C1.search(value) else value
