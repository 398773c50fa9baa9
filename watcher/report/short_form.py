"""The digest's short form, for chat and webhook channels: the headline figures, the top stories with their links,
and a link back to the full digest where there is one.

Two steps, both pure. :func:`short_form` decides what the message says when a period is closed; it is stored as
JSON (:func:`to_bytes`) in the channel's delivery. :func:`render_short_form` writes it, when it is sent, in the
markup a service takes (text, Markdown or HTML) within the service's limits on title and body length: stories are
left out from the last up, with a line that says how many, rather than cut in the middle of a link.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Literal

from markupsafe import escape

from watcher.report.digest import Digest
from watcher.report.message import subject
from watcher.report.render import figure, plural, situation_heading
from watcher.report.situations import AttentionRow, Story

Markup = Literal["text", "markdown", "html"]
MAX_STORIES = 5
MAX_ROWS = 3  # of each situation's attention table: the entries that rose most
MAX_OUTLETS = 3  # named in a story's line; the others are counted
SCHEMA = 1


@dataclass(frozen=True, slots=True)
class ShortStory:
    """One story as a channel message lists it."""

    title: str
    link: str | None  # http(s) only, as the digest keeps it
    outlets: tuple[str, ...]
    key: bool  # a situation's query selected one of its items


@dataclass(frozen=True, slots=True)
class ShortForm:
    """What a channel message says about one digest."""

    title: str  # the mail's subject: the digest, its items, the biggest change
    figures: tuple[str, ...]  # one line per situation with news, then its entries that rose most
    stories: tuple[ShortStory, ...]  # the weightiest first
    more_stories: int  # stories of the period left out
    link: str | None  # the full digest


def short_form(d: Digest, *, link: str | None = None, max_stories: int = MAX_STORIES) -> ShortForm:
    """The short form of ``d``: its subject, per situation its heading and top risers, its top stories across
    situations (a story in two situations once), and ``link``."""
    figures: list[str] = []
    for s in d.situations:
        if s.empty:
            continue
        figures.append(situation_heading(s))
        rising = [r for r in s.attention if r.items and r.change in ("up", "new")][:MAX_ROWS]
        figures += [f"  {_row(r)}" for r in rising]
        # A burst is what an alert with `alert_on: [burst]` was sent for: said with its first item.
        figures += [f"  burst: {b.name} {b.count} (against {figure(b.baseline)} a period), first {b.first.outlet}: "
                    f"{b.first.title}" for b in s.bursts[:MAX_ROWS]]
    if d.source_problems:
        figures.append(f"{plural(len(d.source_problems), 'source')} with problems (see the full digest)")
    seen: set[str] = set()
    stories: list[Story] = []
    for story in sorted((st for s in d.situations for st in s.stories), key=_rank):
        if (ident := story.link or story.title) not in seen:
            seen.add(ident)
            stories.append(story)
    shown = stories[:max(max_stories, 0)]
    more = len(stories) - len(shown) + sum(s.more_stories for s in d.situations)
    return ShortForm(title=subject(d), figures=tuple(figures),
                     stories=tuple(ShortStory(title=s.title, link=s.link, outlets=tuple(o.outlet for o in s.outlets),
                                              key=s.key) for s in shown),
                     more_stories=more, link=link)


def _rank(story: Story) -> tuple[int, float, str]:
    return -story.weight, -story.first_published.timestamp(), story.title.casefold()


def _row(row: AttentionRow) -> str:
    if row.change == "new":
        return f"{row.name} {row.items} (new)"
    return f"{row.name} {row.items} (up from avg {figure(row.baseline)})"


def to_bytes(form: ShortForm) -> bytes:
    """The form as stored in a delivery: JSON, with the schema it follows."""
    return json.dumps({"schema": SCHEMA, **asdict(form)}, ensure_ascii=False, sort_keys=True).encode()


def from_bytes(data: bytes) -> ShortForm:
    """The form stored by :func:`to_bytes`."""
    raw = json.loads(data.decode("utf-8"))
    return ShortForm(title=raw["title"], figures=tuple(raw["figures"]),
                     stories=tuple(ShortStory(title=s["title"], link=s["link"], outlets=tuple(s["outlets"]),
                                              key=s["key"]) for s in raw["stories"]),
                     more_stories=raw["more_stories"], link=raw["link"])


def render_short_form(form: ShortForm, *, markup: Markup, body_max: int = 0, title_max: int = 250,
                      shared: bool = False) -> tuple[str, str]:
    """(title, body) in ``markup``, within the service's limits: ``body_max`` characters of body (0: none),
    ``title_max`` of title (0: the service shows no title, which then opens the body), ``shared``: the title counts
    against ``body_max`` too. Stories are left out from the last up until it fits; past that, lines of figures."""
    title = _cut(form.title, title_max) if title_max > 0 else ""
    if not (form.figures or form.stories or form.more_stories or form.link):
        return title, _cut(_escape(form.title, markup), body_max or len(form.title))  # services refuse an empty body
    head = [] if title else [_bold(form.title, markup)]
    budget = body_max - (len(title) + 2 if shared and title else 0) if body_max > 0 else 0
    figures = list(form.figures)
    for keep in range(len(form.stories), -1, -1):
        body = _body(head + [_escape(f, markup) for f in figures], form, keep, markup)
        if budget <= 0 or len(body) <= budget:
            return title, body
    while figures:  # a limit smaller than any story: the figures go too, from the last up
        figures.pop()
        body = _body(head + [_escape(f, markup) for f in figures], form, 0, markup)
        if len(body) <= budget:
            return title, body
    plain = _body([] if title else [form.title], form, 0, "text")
    return title, _cut(plain, budget)  # as plain text: a cut never breaks its markup


def _body(head: list[str], form: ShortForm, keep: int, markup: Markup) -> str:
    lines = list(head)
    if form.stories:
        lines.append(_bold("Top stories:", markup))
        lines += [_story(s, markup) for s in form.stories[:keep]]
    left_out = form.more_stories + len(form.stories) - min(keep, len(form.stories))
    if left_out:
        lines.append(_escape(f"… and {plural(left_out, 'more story', 'more stories')}", markup))
    if form.link:
        lines.append("Full digest: " + _link(form.link, form.link, markup))
    return ("<br>\n" if markup == "html" else "\n").join(lines)


def _story(story: ShortStory, markup: Markup) -> str:
    outlets = ", ".join(story.outlets[:MAX_OUTLETS])
    if len(story.outlets) > MAX_OUTLETS:
        outlets += f" +{len(story.outlets) - MAX_OUTLETS}"
    key = " (key development)" if story.key else ""
    if markup == "text":
        return f"• {story.title} — {outlets}{key}" + (f"\n  {story.link}" if story.link else "")
    title = _link(story.title, story.link, markup) if story.link else _escape(story.title, markup)
    return f"• {title} — {_escape(outlets + key, markup)}"


def _link(text: str, url: str, markup: Markup) -> str:
    if markup == "html":
        return f'<a href="{escape(url)}">{escape(text)}</a>'
    if markup == "markdown":
        return f"[{_escape(text, markup)}]({url.replace('(', '%28').replace(')', '%29').replace(' ', '%20')})"
    return url if text == url else f"{text} {url}"


def _bold(text: str, markup: Markup) -> str:
    return {"html": f"<b>{escape(text)}</b>", "markdown": f"*{_escape(text, markup)}*"}.get(markup, text)


_MARKDOWN = re.compile(r"([\\`*_\[\]()#~>|])")


def _escape(text: str, markup: Markup) -> str:
    if markup == "html":
        return str(escape(text))
    if markup == "markdown":
        return _MARKDOWN.sub(r"\\\1", text)
    return text


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:max(limit - 1, 0)].rstrip() + "…"
