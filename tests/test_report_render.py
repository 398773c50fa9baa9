"""Text and HTML rendering: golden files for a three-language digest, and feed text that tries to get out."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_report_samples import (
    DAILY,
    KEY_ITEMS,
    NOW,
    PERIOD,
    WATCHLIST,
    match,
    sample_history,
    sample_matches,
    sample_sources,
    stored,
)

from watcher.models import SourceHealth
from watcher.report import Digest, build_digest, render_html, render_text
from watcher.report.render import BAR_COLOUR, NOW_COLOUR, bars, spark
from watcher.sources.health import assess

GOLDEN = Path(__file__).resolve().parent / "data" / "report"
UPDATE = os.environ.get("WATCHER_UPDATE_GOLDEN") == "1"


def sample_digest() -> Digest:
    return build_digest(DAILY, WATCHLIST, sample_matches(), sample_sources(), PERIOD, now=NOW,
                        history=sample_history(), key_items=KEY_ITEMS)


def check_golden(name: str, actual: str) -> None:
    """Compare with tests/data/report/<name>; WATCHER_UPDATE_GOLDEN=1 rewrites it instead."""
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs; rerun with WATCHER_UPDATE_GOLDEN=1 if the change is intended"


@pytest.mark.parametrize(("name", "render"), [
    ("sample.txt", render_text), ("sample.html", render_html),
    ("empty.txt", render_text), ("empty.html", render_html),
])
def test_golden(name: str, render) -> None:  # type: ignore[no-untyped-def]
    d = sample_digest()
    if name.startswith("empty"):
        d = build_digest(DAILY, WATCHLIST, [], [], PERIOD, now=NOW)
    check_golden(name, render(d))


def test_text_reads_as_described() -> None:
    text = render_text(sample_digest())
    assert "Sat 21 Nov 2026 07:00 – Sun 22 Nov 2026 07:00 (Asia/Yerevan)" in text  # period in the digest's zone
    assert "Peace process — 4 items from 4 outlets, 1 key development\n" in text
    assert "Russia's role — nothing new\n" in text
    # attention: a chart of 12 periods, the count, its mark, outlets and what it is compared with
    assert re.search(r"Nikol Pashinyan  [▁-█]{12} +4 ▲  4 outlets; avg 1.2, prev 1\n", text)
    assert re.search(r"Vladimir Putin +[▁-█]{11}▁ +0 ▼  0 outlets; avg 1.8, prev 3\n", text)
    assert "+ peace treaty: first mention ever (Interfax:" in text
    assert "- Vladimir Putin: mentioned in 11 of the last 11 periods, not in this one" in text
    assert "* Ilham Aliyev + Nikol Pashinyan: first time since 11 Oct" in text
    stories = text.split("Stories\n", 1)[1]
    assert stories.startswith(" 1. [KEY] Пашинян: мирный договор готов к подписанию\n")
    assert " 2. Pashinyan and Aliyev meet in Abu Dhabi\n    Armenpress, Azatutyun · 2 outlets" in stories
    assert "*Никол Пашинян*" in text
    assert "[[" not in text and "]]" not in text
    assert "Sources with problems" in text and "Trend: failing, 3 failed attempts" in text
    assert "Aravot: stale" in text and "Hetq: quiet" in text and "Old wire" not in text
    assert all(len(line) <= 120 for line in text.splitlines() if "http" not in line and "failing" not in line)


def test_spark_and_bars_scale_to_the_largest_period() -> None:
    assert spark((0, 1, 2, 4)) == "▁▃▅█" and spark((0, 0)) == "▁▁" and spark(()) == ""
    html = str(bars((0, 3, 6)))
    assert html.count("<td") == 3 and "height:24px;line-height" in html and "height:1px" in html
    assert html.rindex(NOW_COLOUR) > html.rindex(BAR_COLOUR)  # this period's bar stands out


def test_empty_digest_is_one_line_after_the_title() -> None:
    d = build_digest(DAILY, WATCHLIST, [], [], PERIOD, now=NOW)
    assert render_text(d) == "South Caucasus daily\nNothing new since Sat 21 Nov 2026 07:00 (Asia/Yerevan).\n"
    assert "Nothing new since Sat 21 Nov 2026 07:00 (Asia/Yerevan)." in render_html(d)


def test_empty_digest_still_reports_broken_sources() -> None:
    text = render_text(build_digest(DAILY, WATCHLIST, [], sample_sources(), PERIOD, now=NOW))
    assert "Nothing new since" in text and "Trend: failing" in text


def test_more_line_when_capped() -> None:
    matches = [match(stored(i, f"item {i}", hours=i / 4, link=f"https://a.am/{i}"), "aliyev", "[[Aliyev]]")
               for i in range(1, 24)]
    d = build_digest(DAILY, WATCHLIST, matches, [], PERIOD, now=NOW)
    assert "… and 13 more stories" in render_text(d) and "… and 13 more stories" in render_html(d)
    assert len(re.findall(r"(?m)^ *\d+\. item \d+$", render_text(d))) == 10


class _Collect(HTMLParser):
    """Every start tag with its attributes, and the text, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> _Collect:
    collector = _Collect()
    collector.feed(html)
    return collector


_ALLOWED_TAGS = {"html", "head", "meta", "title", "body", "div", "h1", "h2", "h3", "p", "a", "mark", "span", "ul",
                 "li", "strong", "table", "tr", "td"}
_ALLOWED_ATTRIBUTES = {"href", "style", "lang", "rel", "charset", "name", "content", "role", "cellpadding",
                       "cellspacing", "border"}

HOSTILE = [
    ('<script>alert("x")</script>Aliyev', "javascript:alert(document.cookie)"),
    ('<img src="http://track.example.com/p.gif" width=1 height=1>Aliyev', "JaVaScRiPt:alert(1)"),
    ('<a href="javascript:alert(1)" onerror="alert(2)">Aliyev</a>', " javascript:alert(1)"),
    ('"><svg onload=alert(1)>Aliyev', "data:text/html;base64,PHNjcmlwdD4="),
    ("<style>body{display:none}</style><iframe src=//evil.example>Aliyev", "vbscript:msgbox(1)"),
]


@pytest.mark.parametrize(("payload", "link"), HOSTILE)
def test_feed_text_never_becomes_markup(payload: str, link: str) -> None:
    si = stored(1, f"Title {payload}", link=link)
    sm = match(si, "aliyev", f"before {payload} [[Aliyev]] after {payload}")
    sources = assess([SourceHealth(name=f"Src {payload}", url="https://x", active=True, consecutive_failures=1,
                                   last_error=f"HTTP 500 {payload}")], now=NOW, intervals={}, item_times={})
    d = build_digest(DAILY, WATCHLIST, [sm], sources, PERIOD, now=NOW)
    html = render_html(d)
    tags = parse(html).tags
    names = {t for t, _ in tags}
    assert names <= _ALLOWED_TAGS
    assert not names & {"script", "img", "svg", "iframe", "style", "link", "object", "embed"}
    for tag, attrs in tags:
        assert not any(a.startswith("on") for a in attrs), (tag, attrs)
        assert "src" not in attrs and "background" not in attrs
        if tag == "a":
            assert re.match(r"^(https?|mailto):", attrs.get("href") or "https:"), attrs
    values = " ".join(v or "" for _, attrs in tags for v in attrs.values()).lower()
    assert not any(bad in values for bad in ("javascript:", "vbscript:", "data:", "track.example.com", "evil"))
    assert "<img" not in html and "<script" not in html and "<a href=\"javascript" not in html
    text = "".join(parse(html).text)
    assert payload in text  # shown to the reader as the text it is


def test_html_has_no_scripts_or_external_resources_and_inline_styles_only() -> None:
    html = render_html(sample_digest())
    tags = parse(html).tags
    assert not any(t in {"script", "link", "img", "style", "iframe"} for t, _ in tags)
    assert not any(k in {"src", "srcset", "background", "class"} for _, a in tags for k in a)
    assert '<meta name="color-scheme" content="light dark">' in html
    for tag, attrs in tags:  # every mark sets both colours, so a dark theme cannot leave dark text on dark
        if tag == "mark":
            style = attrs["style"] or ""
            assert "background-color:" in style and re.search(r"(^|;)color:", style)
    hrefs = [a["href"] for t, a in tags if t == "a"]
    assert hrefs == ["https://www.interfax.ru/world/2",  # new entry
                     "https://news.google.com/rss/articles/4",  # new pairing
                     "https://www.interfax.ru/world/2", "https://www.azatutyun.am/a/1.html",  # stories
                     "https://news.google.com/rss/articles/4"]
    assert ('a', {'href': 'https://armenpress.am/hy/article/3'}) not in tags  # sanity: attrs parsed in full
    assert any(t == "a" and a.get("lang") == "ru" for t, a in tags)


def test_html_marks_the_hit() -> None:
    html = render_html(sample_digest())
    assert re.search(r"<mark [^>]*>Nikol Pashinyan</mark>'s government", html)
    assert re.search(r"<mark [^>]*>Никол Пашинян</mark> заявил", html)
    assert "[[" not in html


def test_item_without_link_shows_its_title_unlinked() -> None:
    si = stored(1, "No link <b>here</b>", link=None)
    d = build_digest(DAILY, WATCHLIST, [match(si, "putin", "[[Putin]]")], [], PERIOD, now=NOW)
    html = render_html(d)
    assert "No link &lt;b&gt;here&lt;/b&gt;" in html
    assert not any(t == "a" for t, _ in parse(html).tags)


@settings(max_examples=30, deadline=None)
@given(title=st.text(max_size=80), snippet=st.text(max_size=120), link=st.text(max_size=40),
       error=st.text(max_size=60))
def test_any_feed_text_yields_only_our_markup(title: str, snippet: str, link: str, error: str) -> None:
    si = stored(1, f"<b {title}", link=f"https://a.am/{link}" if link.startswith("x") else link)
    sm = match(si, "aliyev", f"{snippet} [[Aliyev]] <i {snippet}")
    sources = assess([SourceHealth(name=title or "s", url="https://x", active=True, consecutive_failures=1,
                                   last_error=error)], now=NOW, intervals={}, item_times={})
    html = render_html(build_digest(DAILY, WATCHLIST, [sm], sources, PERIOD, now=NOW))
    tags = parse(html).tags
    assert {t for t, _ in tags} <= _ALLOWED_TAGS
    for tag, attrs in tags:
        assert set(attrs) <= _ALLOWED_ATTRIBUTES, (tag, attrs)
        if tag == "a":
            assert re.match(r"^https?://", attrs["href"] or "")
    assert render_text(build_digest(DAILY, WATCHLIST, [sm], sources, PERIOD, now=NOW)).count("\r") == 0
