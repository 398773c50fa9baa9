"""HTML to text by the HTML5 parsing rules: what a void or unclosed element does to the text after it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watcher.cli import main
from watcher.parse import html_to_text, parse_feed
from watcher.parse.text import title_text

FETCHED = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
NAME = "Nikol Pashinyan"


@pytest.mark.parametrize("element", [
    '<embed src="https://video.example/v.mp4">', '<embed src="v.mp4" type="video/mp4" />', "<EMBED SRC=v.swf>",
    '<img src="x.jpg">', "<br>", "<hr>", "<wbr>", '<input value="x">', '<source src="v.webm">', '<track src="t.vtt">',
    '<param name="movie" value="v.swf">', '<area href="/x">', '<col span="2">', '<link rel="x">', '<meta charset="x">',
    '<object data="v.swf">', '<object data="v.swf"><param name="a" value="b">', "<video src=v.mp4>", "<audio>",
    "<p>", "<b>", "<span>", "<font color=red>", "<li>", "<div class='player'>", "<a href='https://e.example/'>",
])
def test_text_after_a_void_or_unclosed_element_is_kept(element: str) -> None:
    assert NAME in html_to_text(f"Watch: {element} {NAME} speaks")
    assert NAME in title_text(f"Watch: {element} {NAME} speaks")


@pytest.mark.parametrize(("markup", "expected"), [
    # Raw text elements: HTML5 reads everything up to their end tag as their content, which a reader never sees.
    ("before<script>var a = '<p>x</p>';</script>after", "beforeafter"),
    ("before<script>never closed <p>x", "before"),
    ("before<style>p { color: red }</style>after", "beforeafter"),
    ("before<iframe src=x>fallback</iframe>after", "beforeafter"),
    ("before<noembed>old browsers</noembed>after", "beforeafter"),
    ("before<textarea><b>x</b></textarea>after", "beforeafter"),
    # An object's content is its fallback, shown where the object is not: kept.
    ("<object data='v.swf'><param name='a'>Fallback text</object>", "Fallback text"),
    # Comments, however written, are not text; a DOCTYPE in a body neither.
    ("a<!-- <p>hidden</p> -->b<!--->c<!DOCTYPE html>d", "abcd"),
    # Table text keeps the order HTML5 gives it: stray text in a table goes before the table.
    ("<table><tr><td>cell</td></tr>stray</table>", "stray\ncell"),
    # References: HTML5's table (named, numeric, legacy without ";", windows-1252 for 128-159).
    ("&copy 2026 &notit; &#128; &#x41;&#0;", "© 2026 ¬it; € A\ufffd"),
])
def test_html5_rules(markup: str, expected: str) -> None:
    assert html_to_text(markup) == expected


def test_surrogate_references_become_the_character_they_encode() -> None:
    assert html_to_text("<p>Smile &#55357;&#56832; &#xD83D;&#xDE00; lone &#xD83D; &#56832;</p>") == (
        "Smile 😀 😀 lone \ufffd \ufffd")


def rss(items: str, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>{prolog}<rss version="2.0"><channel><title>T</title>'
            f"{items}</channel></rss>").encode()


def test_a_name_after_an_embedded_video_is_matched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Through `watcher scan`: in the title and in the body, as the issue found it."""
    embed = '&lt;embed src="https://video.example/v.mp4" type="video/mp4"&gt;'
    path = tmp_path / "feed.xml"
    path.write_bytes(rss(f"<item><title>Video {embed} {NAME} in Brussels</title><link>https://news.example/1</link>"
                         f"<description>&lt;p&gt;Watch:&lt;/p&gt;{embed}&lt;p&gt;{NAME} met the press.&lt;/p&gt;"
                         "</description></item>"))
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text(f"actors:\n  - id: pashinyan\n    name: {NAME}\n", encoding="utf-8")
    assert main(["--config", str(watchlist), "scan", str(path), "--json"]) == 0
    (item,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert item["title"] == f"Video {NAME} in Brussels"
    assert {m["field"] for m in item["matches"]} == {"title", "text"}


@pytest.mark.parametrize("fast_path", [True, False])
@pytest.mark.parametrize("prolog", [
    "<!-- a comment that quotes <!DOCTYPE rss> -->",
    "\n<!--\nExpect: description == \"<!DOCTYPE\"\n-->\n",
    "<!-- <!DOCTYPE --><!DOCTYPE rss [<!ENTITY e \"x\">]><!-- after -->",
])
def test_a_comment_quoting_a_doctype_keeps_the_document(prolog: str, fast_path: bool) -> None:
    parsed = parse_feed(rss("<item><title>One</title><link>https://news.example/1</link></item>", prolog),
                        url="https://news.example/rss", fetched_at=FETCHED, fast_path=fast_path)
    assert [item.title for item in parsed.items] == ["One"]
