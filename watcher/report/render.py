"""Render a Digest as plain text and as HTML with jinja2 (the only module that imports it).

Feed text is data: the HTML template autoescapes it, and the few fragments built here (a linked title,
a snippet with its hit marked) go through nh3 so only http/https/mailto links and a handful of tags survive.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import nh3
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from watcher.report.bursts import Burst
from watcher.report.digest import Digest, EntrySection
from watcher.report.emerging import EmergingName, spelled_out
from watcher.report.parts import DigestItem, split_marks
from watcher.report.situations import AttentionRow, ItemRef, SituationReport, Story
from watcher.report.storylines import Storyline, StorylineItem

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WIDTH = 76
MAX_EARLIER = 5  # earlier items of a storyline shown as links; the rest are counted

# Inline styles only (mail clients drop <style>); colours are set in pairs or left to the client so that
# a dark theme, which swaps the page background, never leaves dark text on a dark page.
LINK_STYLE = "color:#2a6fdb;text-decoration:underline;font-weight:600"
MARK_STYLE = "background-color:#ffe066;color:#111111;padding:0 2px;border-radius:2px"
KEY_STYLE = "background-color:#ffe066;color:#111111;padding:0 4px;border-radius:3px;font-size:12px;font-weight:600"
UP_STYLE = "color:#2f9e44;font-weight:600"
DOWN_STYLE = "color:#e03131;font-weight:600"
BAR_COLOUR = "#4c8ef7"  # mid tones read on a light page and on a dark one
NOW_COLOUR = "#f08c00"
EMPTY_COLOUR = "#9a9a9a"
_BAR_HEIGHT = 24
_BLOCKS = "▁▂▃▄▅▆▇█"
_TAGS = {"a", "mark", "span"}
_ATTRIBUTES = {"a": {"href", "style", "lang", "title"}, "mark": {"style"}, "span": {"lang"}}
_SCHEMES = {"http", "https", "mailto"}


def render_text(d: Digest) -> str:
    """The plain-text part of the digest mail."""
    return _environment().get_template("digest.txt.j2").render(d=d, **_context(d))


def render_html(d: Digest) -> str:
    """The HTML part: inline styles, no scripts or external resources, feed text escaped and sanitised."""
    return _environment().get_template("digest.html.j2").render(d=d, **_context(d))


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Built on first use, not at import; templates are package data in watcher/templates/.
    env = Environment(
        loader=PackageLoader("watcher", "templates"),
        autoescape=lambda name: name is not None and name.endswith(".html.j2"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(plural=plural, wrap=wrap, starred=starred, marked=marked, title_link=title_link,
                       spark=spark, bars=bars, figure=figure, versus=versus, trend_mark=trend_mark, totals=totals,
                       outlet_link=outlet_link, burst_line=burst_line, burst_spread=burst_spread,
                       emerging_line=emerging_line)
    return env


def _context(d: Digest) -> dict[str, object]:
    zone = ZoneInfo(d.timezone)

    def when(dt: datetime | None, year: bool = False) -> str:
        return format_time(dt, zone, year=year) if dt is not None else "never"

    def day(dt: datetime | None) -> str:
        return format_time(dt, zone).rsplit(" ", 1)[0] if dt is not None else "never"

    def story_line(story: Story) -> str:
        outlets = ", ".join(outlet_label(o) for o in story.outlets)
        counts = plural(len(story.outlets), "outlet")
        if len(story.languages) > 1:
            counts += f", {plural(len(story.languages), 'language')} ({', '.join(story.languages)})"
        if story.item_count > len(story.outlets):
            counts += f", {story.item_count} items"
        late = ", published before this period (found late)" if story.late else ""
        return f"{outlets} · {counts} · {when(story.first_published)}{late}"

    def storyline_line(line: Storyline) -> str:
        first = format_time(line.first_seen, zone, year=True).rsplit(" ", 2)[0]  # Thu 12 Nov
        languages = f" ({', '.join(line.languages)})" if len(line.languages) > 1 else ""
        return (f"day {line.days}: first reported {first} by {line.first_outlet}; now "
                f"{plural(len(line.outlets), 'outlet')} in {plural(len(line.languages), 'language')}{languages}, "
                f"{plural(len(line.items), 'item')}, {line.new} new")

    return {"when": when, "day": day, "heading": heading, "since": when(d.period.start, True), "story_line": story_line,
            "storyline_line": storyline_line, "max_earlier": MAX_EARLIER,
            "situation_heading": situation_heading, "pad": pad, "name_width": name_width,
            "up": UP_STYLE, "down": DOWN_STYLE, "key_badge": KEY_STYLE,
            "span": f"{when(d.period.start, True)} – {when(d.period.end, True)} ({d.timezone})"
            if d.period.start.year > 1970 else f"everything up to {when(d.period.end, True)} ({d.timezone})"}


def format_time(dt: datetime, zone: ZoneInfo, *, year: bool = False) -> str:
    """``Sat 21 Nov 2026 07:00`` (year=True) or ``21 Nov 07:00``, in ``zone``; English names whatever the locale."""
    # A stored date of year 1 or 9999 has no local time a day west or east of UTC: show the calendar's edge.
    local = min(max(dt, _EARLIEST), _LATEST).astimezone(zone)
    day = f"{local.day} {_MONTHS[local.month - 1]}"
    if year:
        return f"{_DAYS[local.weekday()]} {day} {local.year} {local:%H:%M}"
    return f"{day} {local:%H:%M}"


def burst_line(b: Burst) -> str:
    """``12 items against 0.3 a period before (11 periods)``."""
    return f"{plural(b.count, 'item')} against {figure(b.baseline)} a period before ({plural(b.periods, 'period')})"


def burst_spread(b: Burst) -> str:
    """``4 outlets (A, B, C, D) · en, ru · with Putin (5)``: who carries a burst, and who is seen with it."""
    text = f"{plural(len(b.outlets), 'outlet')} ({', '.join(b.outlets)})"
    text += f" · {', '.join(b.languages)}" if b.languages else ""
    return text + (" · with " + ", ".join(f"{c.name} ({c.items})" for c in b.seen_with) if b.seen_with else "")


def emerging_line(e: EmergingName, name: bool = True) -> str:
    """``Arsen Tonoyan / Арсен Тоноян: 6 items from 4 outlets (0.25 a period before), with pashinyan (5)``."""
    spellings = spelled_out(e) if name else " / ".join(s for _, s in e.spellings if s != e.name)
    counts = f"{plural(e.items, 'item')} from {plural(e.outlets, 'outlet')} ({figure(e.before)} a period before)"
    return (f"{spellings}: " if spellings else "") + counts + (f", with {', '.join(e.with_entries)}" if e.with_entries else "")


def totals(d: Digest) -> str:
    """``24 items about 6 entries, 2 more selected by a situation's query``."""
    text = f"{plural(d.total_items - d.query_items, 'item')} about {plural(len(d.sections), 'entry', 'entries')}"
    return text + (f", {d.query_items} more selected by a situation's query" if d.query_items else "")


def outlet_label(ref: ItemRef) -> str:
    """``Armenpress (state media, Armenia)``: the outlet and the watchlist's note on it."""
    return f"{ref.outlet} ({ref.note})" if ref.note else ref.outlet


_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)  # a day inside the calendar: every zone's offset is under 26 hours
_LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def heading(section: EntrySection) -> str:
    """``Nikol Pashinyan — 9 items from 4 outlets``."""
    return f"{section.name} — {plural(section.item_count, 'item')} from {plural(section.outlet_count, 'outlet')}"


def situation_heading(s: SituationReport) -> str:
    """``Peace process — 4 items from 4 outlets, 1 key development`` or ``Peace process — nothing new``."""
    if s.empty:
        return f"{s.title} — nothing new"
    text = f"{s.title} — {plural(s.item_count, 'item')} from {plural(s.outlet_count, 'outlet')}"
    return text + (f", {plural(s.key_count, 'key development')}" if s.key_count else "")


def spark(series: tuple[int, ...]) -> str:
    """A Unicode block chart of ``series``, one character per period, scaled to its maximum (0 as a space-like ▁)."""
    top = max(series, default=0)
    if top == 0:
        return _BLOCKS[0] * len(series)
    return "".join(_BLOCKS[0] if n == 0 else _BLOCKS[max(1, round(n / top * (len(_BLOCKS) - 1)))] for n in series)


def bars(series: tuple[int, ...]) -> Markup:
    """An HTML bar chart as table cells with inline styles (mail clients draw no images or scripts here)."""
    top = max(series, default=0) or 1
    cells = []
    for index, n in enumerate(series):
        colour = NOW_COLOUR if index == len(series) - 1 else BAR_COLOUR
        height = max(round(n / top * _BAR_HEIGHT), 2) if n else 1
        cells.append(f'<td style="vertical-align:bottom;padding:0 1px 0 0;height:{_BAR_HEIGHT}px">'
                     f'<div style="width:7px;height:{height}px;line-height:{height}px;font-size:0;'
                     f'background-color:{colour if n else EMPTY_COLOUR}">&nbsp;</div></td>')
    return Markup('<table role="presentation" cellpadding="0" cellspacing="0" border="0" '
                  'style="border-collapse:collapse"><tr>' + "".join(cells) + "</tr></table>")


def figure(value: float) -> str:
    """``3``, ``2.5``: a count or a mean, without a needless decimal."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def trend_mark(row: AttentionRow) -> str:
    """``▲`` up, ``▼`` down, ``★`` new against an empty baseline, ``·`` unchanged."""
    return {"up": "▲", "down": "▼", "new": "★"}.get(row.change, "·")


def versus(row: AttentionRow) -> str:
    """``avg 1.5, prev 1``: what the period's count is compared with."""
    if len(row.series) < 2 or not any(row.series[:-1]):
        return "none before"
    return f"avg {figure(row.baseline)}, prev {row.previous}"


def name_width(s: SituationReport) -> int:
    """The column width for entry names in the plain-text attention table."""
    return min(max((len(r.name) for r in s.attention), default=0), 28)


def pad(text: str, width: int) -> str:
    """``text`` cut or padded to ``width`` characters."""
    return text[:width - 1] + "…" if len(text) > width else text.ljust(width)


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 item``, ``2 items`` (``many`` for irregular plurals)."""
    return f"{n} {word}" if n == 1 else f"{n} {many or word + 's'}"


def wrap(text: str, indent: int = 2) -> str:
    """Wrap plain text to the mail width, every line indented by ``indent`` spaces."""
    pad = " " * indent
    return textwrap.fill(text, width=_WIDTH, initial_indent=pad, subsequent_indent=pad,
                         break_long_words=False, break_on_hyphens=False)


def starred(snippet: str) -> str:
    """A marked snippet for plain text: the hit as ``*hit*``."""
    return "".join(f"*{text}*" if hit else text for text, hit in split_marks(snippet))


def marked(snippet: str) -> Markup:
    """A marked snippet for HTML: text escaped, the hit in <mark>."""
    html = "".join(f'<mark style="{MARK_STYLE}">{escape(text)}</mark>' if hit else str(escape(text))
                   for text, hit in split_marks(snippet))
    return _sanitise(html)


def outlet_link(item: StorylineItem) -> Markup:
    """The item's outlet, linked to the item when it has an http(s) link, its title as the link's tooltip."""
    outlet = escape(item.outlet)
    if item.link is None:
        return _sanitise(f"<span>{outlet}</span>")
    return _sanitise(f'<a href="{escape(item.link)}" style="{LINK_STYLE}" title="{escape(item.title)}">{outlet}</a>')


def title_link(item: DigestItem | ItemRef | Story | Storyline | StorylineItem) -> Markup:
    """The item's title, escaped, linked when it has an http(s) link."""
    lang = f' lang="{escape(item.language)}"' if item.language else ""
    title = escape(item.title)
    if item.link is None:
        return _sanitise(f"<span{lang}>{title}</span>")
    return _sanitise(f'<a href="{escape(item.link)}" style="{LINK_STYLE}"{lang}>{title}</a>')


def _sanitise(html: str) -> Markup:
    # Defence in depth: the parts are escaped already, nh3 makes sure no other tag, attribute or scheme gets out.
    return Markup(nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_SCHEMES,
                            link_rel="noopener noreferrer"))
