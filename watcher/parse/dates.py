"""Item dates as aware UTC: RFC 822, ISO 8601, zone-less local dates, and fallbacks to fetch time.

A date without a zone (Arminfo's `2026-06-06 03:08:29`) is wall-clock time of the source, read in the
source's ``timezone``; feedparser would read it as UTC, so the raw string decides.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from datetime import timezone as dt_timezone
from functools import lru_cache
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from watcher.errors import ConfigError

UTC = UTC
FUTURE_TOLERANCE = timedelta(minutes=5)  # clock skew between the outlet and us
# No web feed predates the web: an item dated earlier has no date. Far enough from datetime.min that no
# zone's offset (±14 h) can shift a date out of range, wherever it is shown.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)

_ZONES = {  # hours east of UTC; ambiguous abbreviations (IST, AMT, BST in some lists) are left out or common
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "MET": 1,
    "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "MSD": 4, "AZT": 4, "GET": 4, "SAMT": 4, "YEKT": 5, "PKT": 5,
    "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7,
    "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10,
}
_MONTHS = {
    # English, then Russian, Portuguese/Spanish, French, German abbreviations seen in real pubDates.
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12, "янв": 1, "фев": 2, "мар": 3, "апр": 4, "мая": 5, "май": 5, "июн": 6, "июл": 7,
    "авг": 8, "сен": 9, "окт": 10, "ноя": 11, "дек": 12, "ene": 1, "fev": 2, "abr": 4, "mai": 5, "ago": 8,
    "set": 9, "out": 10, "dez": 12, "dic": 12, "fév": 2, "avr": 4, "jui": 7, "aoû": 8, "déc": 12, "mär": 3,
    "okt": 10,
}
_TIME = r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?"
_ZONE = r"(Z|[A-Za-z]{1,5}(?:[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}:?\d{2}|[+-]\d{1,2})"
_ISO = re.compile(rf"^(\d{{4}})-(\d{{1,2}})-(\d{{1,2}})(?:[T ]{_TIME})?\s*{_ZONE}?$", re.IGNORECASE)
_DAY_FIRST = re.compile(
    rf"^(?:[^\d\s,]{{1,12}},?\s+)?(\d{{1,2}})[\s.-]+([^\W\d_]{{3,12}})\.?[\s.-]+(\d{{2,4}}),?"
    rf"(?:\s+{_TIME}\s*(AM|PM)?)?\s*{_ZONE}?$", re.IGNORECASE)
_MONTH_FIRST = re.compile(
    rf"^(?:[^\d\s,]{{1,12}},?\s+)?([^\W\d_]{{3,12}})\.?\s+(\d{{1,2}}),?\s+(\d{{4}}),?"
    rf"(?:\s+{_TIME}\s*(AM|PM)?)?\s*{_ZONE}?$", re.IGNORECASE)
_NUMERIC = re.compile(rf"^(\d{{1,2}})[./](\d{{1,2}})[./](\d{{4}}),?(?:\s+{_TIME})?\s*{_ZONE}?$", re.IGNORECASE)
_ZONE_PARTS = re.compile(r"^([A-Za-z]*)([+-]\d{1,2})?:?(\d{2})?$")
_UTF8_XML = {"content-type": "application/xml; charset=utf-8"}


def load_timezone(name: str) -> tzinfo:
    """The IANA zone ``name`` (a source's local time), or ConfigError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown timezone {name!r}", hint="use an IANA name such as Asia/Yerevan") from exc


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive value is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_date(raw: str | None, *, fetched_at: datetime, local: tzinfo, parsed: time.struct_time | None = None,
               reader: Callable[[str], time.struct_time | None] | None = None) -> datetime:
    """read_date's moment, or ``fetched_at`` when ``raw`` gives none."""
    return read_date(raw, fetched_at=fetched_at, local=local, parsed=parsed, reader=reader) or as_utc(fetched_at)


def read_date(raw: str | None, *, fetched_at: datetime, local: tzinfo, parsed: time.struct_time | None = None,
              reader: Callable[[str], time.struct_time | None] | None = None) -> datetime | None:
    """An aware UTC datetime for ``raw``; ``parsed`` is feedparser's reading, used when ours fails (or
    ``reader``, which gives it from ``raw``: it is asked only then).

    None for a missing or unreadable date, and for an absurd one: in the future beyond a small tolerance (an
    outlet's wrong zone must not pin an item to the top for hours), or before EARLIEST (year 1 or 1970 is a
    broken clock, and a date near datetime's limits overflows in any later stage that shifts it to a zone).
    """
    if not raw:
        return None
    fallback = (lambda: parsed) if parsed is not None or reader is None else (lambda: reader(raw))
    moment = _read(" ".join(raw.split())[:100], local, fallback)
    if moment is None or moment > as_utc(fetched_at) + FUTURE_TOLERANCE or moment < EARLIEST:
        return None
    return moment


def feedparser_date(value: str) -> time.struct_time | None:
    """feedparser's reading of a date, for the fast path when ours fails: what feedparser's path would have
    found, through its public parse() of a feed of one item dated ``value`` (rare: ours reads most dates)."""
    import feedparser  # here: feedparser's import is paid by the documents that need it

    document = f'<rss version="2.0"><channel><item><pubDate>{escape(value)}</pubDate></item></channel></rss>'
    entries = feedparser.parse(io.BytesIO(document.encode("utf-8")), response_headers=_UTF8_XML).entries
    parsed = entries[0].get("published_parsed") if entries else None
    return parsed if isinstance(parsed, time.struct_time) else None


def _read(raw: str, local: tzinfo, fallback: Callable[[], time.struct_time | None]) -> datetime | None:
    try:
        moment = _ours(raw, local)
        parsed = fallback() if moment is None else None
        if moment is None and parsed is not None and _has_no_zone(raw):
            # feedparser read a zone-less date as UTC: take its wall clock in the source's zone instead.
            moment = datetime(*parsed[:6], tzinfo=local)
        elif moment is None and parsed is not None:
            moment = datetime(*parsed[:6], tzinfo=UTC)
        return moment.astimezone(UTC) if moment is not None else None
    except (ValueError, OverflowError):
        return None


def _ours(raw: str, local: tzinfo) -> datetime | None:
    if match := _ISO.match(raw):
        year, month, day, hour, minute, second, zone = match.groups()
        return _build(int(year), int(month), int(day), hour, minute, second, None, zone, local)
    if match := _DAY_FIRST.match(raw):
        day, month_name, year, hour, minute, second, ampm, zone = match.groups()
        month = _month(month_name)
        return _build(_year(year), month, int(day), hour, minute, second, ampm, zone, local) if month else None
    if match := _MONTH_FIRST.match(raw):
        month_name, day, year, hour, minute, second, ampm, zone = match.groups()
        month = _month(month_name)
        return _build(int(year), month, int(day), hour, minute, second, ampm, zone, local) if month else None
    if match := _NUMERIC.match(raw):  # 06.06.2026: day first, as everywhere in our region
        day, month_text, year, hour, minute, second, zone = match.groups()
        return _build(int(year), int(month_text), int(day), hour, minute, second, None, zone, local)
    return None


def _build(year: int, month: int, day: int, hour: str | None, minute: str | None, second: str | None,
           ampm: str | None, zone: str | None, local: tzinfo) -> datetime | None:
    hours = int(hour or 0)
    if ampm:
        hours = hours % 12 + (12 if ampm.upper() == "PM" else 0)
    fixed = _fixed_zone(zone) if zone else None
    if zone and fixed is None and zone.upper() not in ("AM", "PM"):
        offset_zone: tzinfo = local  # an abbreviation we do not know: the source's own zone is the best guess
    else:
        offset_zone = local if fixed is None else fixed
    return datetime(year, month, day, hours, int(minute or 0), int(second or 0), tzinfo=offset_zone)


@lru_cache(maxsize=256)
def _fixed_zone(zone: str) -> tzinfo | None:
    """The fixed-offset zone ``zone`` names, or None; a feed writes the same one on every item."""
    offset = _offset(zone)
    return None if offset is None else dt_timezone(offset)


def _offset(zone: str) -> timedelta | None:
    match = _ZONE_PARTS.match(zone.strip())
    if not match:
        return None
    name, hours, minutes = match.groups()
    if name and name.upper() not in _ZONES:
        return None
    base = timedelta(hours=_ZONES[name.upper()]) if name else timedelta()
    if hours:
        sign = -1 if hours.startswith("-") else 1
        base += sign * timedelta(hours=abs(int(hours)), minutes=int(minutes or 0))
    elif not name:
        return None
    return base if abs(base) < timedelta(hours=24) else None


def _month(name: str) -> int | None:
    return _MONTHS.get(name[:3].lower())


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        return 2000 + year if year < 70 else 1900 + year
    return year


def _has_no_zone(raw: str) -> bool:
    """True when nothing after the time of day names a zone or an offset."""
    times = list(re.finditer(_TIME, raw))
    if not times:
        return not re.search(r"(?:Z|[+-]\d{2}:?\d{2}|\b[A-Z]{2,5})\s*$", raw)
    rest = raw[times[-1].end():].strip()
    rest = re.sub(r"^(?:AM|PM)\b", "", rest, flags=re.IGNORECASE).strip()
    return not rest
