"""Hostile and broken documents: entity bombs, external entities, huge titles, bad bytes, pages that are not feeds."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watcher.errors import ParseError
from watcher.models import ParsedFeed
from watcher.parse import parse_feed

FETCHED = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
URL = "https://hostile.example/feed.xml"


def parse(content: bytes, **kwargs: object) -> ParsedFeed:
    return parse_feed(content, url=URL, fetched_at=FETCHED, **kwargs)  # type: ignore[arg-type]


def rss(items: str, prolog: str = "") -> bytes:
    channel = f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    return f'<?xml version="1.0" encoding="utf-8"?>{prolog}{channel}'.encode()


def everything(parsed: ParsedFeed) -> str:
    """Every string the parse produced, to look for what must not be there."""
    parts = [parsed.title or "", parsed.link or "", *parsed.problems]
    for item in parsed.items:
        parts += [item.key, item.title, item.text, item.link or "", item.summary_html or "", item.guid or ""]
    return "\n".join(parts)


def lol_entities(levels: int = 9, separator: str = "\n") -> str:
    declarations = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels + 1)
    ]
    return separator.join(declarations)


@pytest.mark.parametrize("separator", ["\n", ""])
def test_billion_laughs_is_not_expanded(separator: str) -> None:
    prolog = f"<!DOCTYPE rss [{separator}{lol_entities(separator=separator)}{separator}]>"
    parsed = parse(rss("<item><title>a &lol9; b</title><description>&lol9;</description>"
                       "<link>https://hostile.example/1</link></item>", prolog))
    assert len(parsed.items) == 1
    assert "lollol" not in everything(parsed)


def test_small_entity_expansion_is_not_performed_either() -> None:
    prolog = f"<!DOCTYPE rss [{lol_entities(levels=2)}]>"
    parsed = parse(rss("<item><title>&lol2;</title><link>https://hostile.example/1</link></item>", prolog))
    assert "lollol" not in everything(parsed)


@pytest.mark.parametrize("declaration", [
    '<!ENTITY xxe SYSTEM "file://{path}">',
    '<!ENTITY % xxe SYSTEM "file://{path}"> %xxe;',
    '<!ENTITY xxe PUBLIC "-//X//Y" "file://{path}">',
])
def test_external_entities_are_not_read(tmp_path: Path, declaration: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT-7731", encoding="utf-8")
    prolog = "<!DOCTYPE rss [" + declaration.format(path=secret) + "]>"
    parsed = parse(rss("<item><title>a &xxe; b</title><description>&xxe;</description>"
                       "<link>https://hostile.example/1</link></item>", prolog))
    assert "TOP-SECRET-CONTENT-7731" not in everything(parsed)
    assert len(parsed.items) == 1


def test_external_dtd_is_not_read(tmp_path: Path) -> None:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY leak "TOP-SECRET-DTD-9">', encoding="utf-8")
    parsed = parse(rss("<item><title>&leak;</title><link>https://hostile.example/1</link></item>",
                       f'<!DOCTYPE rss SYSTEM "file://{dtd}">'))
    assert "TOP-SECRET-DTD-9" not in everything(parsed)


@pytest.mark.parametrize("body", ["{path}", "file://{path}"])
def test_a_body_that_names_a_file_is_not_opened(tmp_path: Path, body: str) -> None:
    secret = tmp_path / "feed.xml"
    secret.write_bytes(rss("<item><title>SECRET-FILE-FEED</title><link>https://x.example/1</link></item>"))
    with pytest.raises(ParseError) as caught:
        parse(body.format(path=secret).encode())
    assert "SECRET-FILE-FEED" not in str(caught.value)


def test_ten_megabyte_title_is_cut() -> None:
    parsed = parse(rss(f"<item><title>{'A' * 10_000_000}</title><link>https://hostile.example/1</link></item>"))
    (item,) = parsed.items
    assert len(item.title) <= 1000 and item.title.startswith("AAAA")


def test_huge_description_is_cut() -> None:
    parsed = parse(rss(f"<item><title>t</title><description>{'word ' * 1_000_000}</description>"
                       "<link>https://hostile.example/1</link></item>"))
    assert len(parsed.items[0].text) <= 100_000


def test_invalid_utf8_keeps_the_items() -> None:
    content = rss("<item><title>Yerevan BAD1 and Ереван</title><link>https://hostile.example/1</link></item>"
                  "<item><title>Second ԵՐԵՎԱՆ</title><link>https://hostile.example/2</link></item>" * 10)
    content = content.replace(b"BAD1", b"\xff\xfe\xc3")
    parsed = parse(content, headers=[("content-type", "application/rss+xml; charset=utf-8")])
    assert len(parsed.items) == 2
    assert "Ереван" in parsed.items[0].title and parsed.items[1].title == "Second ԵՐԵՎԱՆ"
    assert parsed.problems


def test_truncated_document_keeps_complete_items() -> None:
    content = rss("<item><title>one</title><link>https://hostile.example/1</link></item>"
                  "<item><title>two</title><link>https://hostile.example/2</link></item>")
    parsed = parse(content[: content.index(b"<item><title>two") + 20])
    assert [item.title for item in parsed.items][:1] == ["one"]
    assert parsed.problems and parsed.problems[0].startswith("not well-formed XML at line 1")


def test_script_and_javascript_do_not_reach_the_text() -> None:
    description = ("&lt;p&gt;Hello&lt;/p&gt;&lt;script&gt;stealCookies('x')&lt;/script&gt;"
                   "&lt;a href=\"javascript:stealCookies()\"&gt;click&lt;/a&gt;&lt;style&gt;body{}&lt;/style&gt;"
                   "&lt;img src=x onerror=\"stealCookies()\"&gt;")
    parsed = parse(rss(f"<item><title>t<script>alert(1)</script></title><link>javascript:stealCookies()</link>"
                       f"<description>{description}</description></item>"))
    (item,) = parsed.items
    assert item.text == "Hello\nclick"
    assert "stealCookies" not in item.text + item.title and "alert" not in item.title
    assert item.link is None and item.key.startswith("hash:")
    assert "<script>" in (item.summary_html or "")  # raw on purpose: the renderer sanitises where it shows it


def test_header_injection_in_title_is_one_line() -> None:
    parsed = parse(rss("<item><title>Hello&#13;&#10;Bcc: victim@example.com&#10;&#10;body</title>"
                       "<link>https://hostile.example/1</link></item>"))
    (item,) = parsed.items
    assert item.title == "Hello Bcc: victim@example.com body"


HTML_PAGE = b"""<!DOCTYPE html>
<html><head><title>News</title>
<link rel="alternate" type="application/rss+xml" title="RSS" href="/eng/rss/"></head>
<body><h1>Latest news</h1></body></html>"""
CLOUDFLARE = b"""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title></head>
<body><div id="challenge-running"></div><script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1">
</script></body></html>"""


def test_html_page_is_refused_with_the_feed_it_names() -> None:
    with pytest.raises(ParseError, match="is an HTML page, not a feed") as caught:
        parse(HTML_PAGE, headers=[("content-type", "text/html; charset=utf-8")])
    assert caught.value.hint and "https://hostile.example/eng/rss/" in caught.value.hint


def test_cloudflare_challenge_is_refused() -> None:
    with pytest.raises(ParseError, match="is an HTML page, not a feed: a bot challenge") as caught:
        parse(CLOUDFLARE, headers=[("content-type", "text/html")])
    assert caught.value.hint and "User-Agent" in caught.value.hint


@pytest.mark.parametrize("content", [b"", b"   \r\n\t", b'{"version": "https://jsonfeed.org/version/1"}',
                                     b"<?xml version='1.0'?><note><to>x</to></note>", b"\x00\x01\x02", b"\x1f\x8b"])
def test_no_feed_is_a_parse_error(content: bytes) -> None:
    with pytest.raises(ParseError):
        parse(content)


def test_gzipped_content_is_decompressed() -> None:
    parsed = parse(gzip.compress(rss("<item><title>zipped</title><link>https://hostile.example/z</link></item>")))
    assert [item.title for item in parsed.items] == ["zipped"]


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"<rss>" + b" " * (80 * 1024 * 1024))
    with pytest.raises(ParseError, match="expands beyond"):
        parse(bomb)


def test_empty_feed_is_a_feed_without_items() -> None:
    parsed = parse(rss(""))
    assert parsed.items == () and parsed.title == "T" and parsed.problems == ()
