"""feedparser's own test corpus as watcher's conformance suite (skipped when ../shared is absent).

Every file feedparser reads as well-formed goes through ``watcher scan --json`` as a user would run it: the
command exits 0, each entry becomes an item, and each item's title is feedparser's title turned to text.
The differences that are deliberate are listed below with their reason; a listed file that stops differing
fails too, so the list cannot go stale.
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest

from watcher.cli import main
from watcher.parse import parse_feed
from watcher.parse.text import one_line, title_text

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "feedparser-tests"
FETCHED = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

# Well-formed files with fewer items than feedparser has entries: entries that share a key are one item
# (the same link twice, or neither link nor GUID and the same title and text).
FEWER_ITEMS = {
    "wellformed/atom/entry_link_no_href_link_priority.xml": (1, "both entries link to the same page"),
    "wellformed/atom10/entry_link_no_href_link_priority.xml": (1, "both entries link to the same page"),
    "wellformed/atom/entry_link_rel_enclosure_no_href.xml": (1, "both entries link to the same page"),
    "wellformed/atom10/entry_link_rel_enclosure_no_href.xml": (1, "both entries link to the same page"),
    "wellformed/lang/entry_content_xml_lang_blank_3.xml": (1, "no link or id, and the same content (only xml:lang differs)"),
    "wellformed/node_precedence/atom10_arbitrary_element.xml": (1, "no link, no id, no title, no text: the same content"),
    "wellformed/node_precedence/atom10_id.xml": (1, "the same id twice and the same empty content"),
    "wellformed/node_precedence/atom10_title.xml": (1, "no link or id, and the same title and text"),
}
# Titles that deliberately differ from feedparser's title turned to text.
OTHER_TITLES = {
    # A whole HTML page escaped into a title. feedparser's sanitiser keeps the page's <title> and, taken in by
    # its "<script\n\n\n>" tags, the script's code; HTML5 drops both (a page's title and a script are not
    # text a reader sees), leaving the heading and the paragraph.
    "wellformed/sanitize/entry_title_crazy.xml": "Did The Javascript Execute? I will execute here, too, if you mouse over me",
}
# An item without a title is titled by the start of its text (a digest line must show something).
UNTITLED_LIMIT = 120


def corpus_files() -> list[Path]:
    """Every document of the corpus, or [] when it is not beside the repository."""
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in (".xml", ".json"))


def feedparser_reading(path: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return feedparser.parse(path.read_bytes())


@contextlib.contextmanager
def captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


def scan(path: Path, watchlist: Path) -> tuple[int, list[dict[str, Any]], str]:
    """``watcher scan FILE --json``: its exit code, its items and what it wrote to stderr."""
    with captured() as (out, err):
        code = main(["--config", str(watchlist), "scan", str(path), "--json"])
    return code, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def differences(path: Path, reading: Any, code: int, items: list[dict[str, Any]], stderr: str) -> list[str]:
    """How watcher's reading of one well-formed file breaks the rules, beyond the documented differences."""
    name = path.relative_to(CORPUS).as_posix()
    if code != 0:
        return [f"exit {code}: {stderr.strip()[-300:]}"]
    entries = reading.entries
    if name in FEWER_ITEMS:
        expected = FEWER_ITEMS[name][0]
        return [] if len(items) == expected < len(entries) else [f"{len(items)} items, listed as {expected}"]
    if len(items) != len(entries):
        return [f"{len(items)} items for {len(entries)} entries"]
    titles = [item["title"] for item in items]
    expected_titles = [title_text(entry.get("title") or "") for entry in entries]
    if name in OTHER_TITLES:
        listed = OTHER_TITLES[name]
        if titles == expected_titles:
            return ["listed as a title that differs, but it is feedparser's now: remove it from OTHER_TITLES"]
        return [] if titles == [listed] else [f"titles {titles}, listed as [{listed!r}]"]
    problems = []
    texts: list[str] | None = None
    for index, (title, expected) in enumerate(zip(titles, expected_titles, strict=True)):
        if expected:
            if title != expected:
                problems.append(f"entry {index}: title {title!r}, feedparser's {expected!r}")
            continue
        if texts is None:
            parsed = parse_feed(path.read_bytes(), url=path.resolve().as_uri(), fetched_at=FETCHED)
            texts = [item.text for item in parsed.items]
        if title != one_line(texts[index], limit=UNTITLED_LIMIT):
            problems.append(f"entry {index}: untitled, titled {title!r} instead of its text's start")
    return problems


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/feedparser-tests is not beside the repository")
def test_every_well_formed_feed_is_read_as_feedparser_reads_it(tmp_path: Path) -> None:
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text("actors:\n  - id: example\n    name: Example Person\n", encoding="utf-8")
    found: dict[str, list[str]] = {}
    well_formed = 0
    for path in corpus_files():
        reading = feedparser_reading(path)
        if reading.bozo:
            continue
        well_formed += 1
        problems = differences(path, reading, *scan(path, watchlist))
        if problems:
            found[path.relative_to(CORPUS).as_posix()] = problems
    assert found == {}
    assert well_formed > 1800  # the corpus is there and feedparser still reads it
    listed = set(FEWER_ITEMS) | set(OTHER_TITLES)
    assert all((CORPUS / name).is_file() for name in listed)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/feedparser-tests is not beside the repository")
def test_ill_formed_files_end_in_items_or_a_one_line_error(tmp_path: Path) -> None:
    """What feedparser calls ill-formed still never costs a traceback: exit 0 with items, or 1 with a message."""
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text("actors:\n  - id: example\n    name: Example Person\n", encoding="utf-8")
    for path in corpus_files():
        if not feedparser_reading(path).bozo:
            continue
        code, items, stderr = scan(path, watchlist)
        assert (code, bool(items)) in ((0, True), (0, False), (1, False)), path
        assert "Traceback" not in stderr and stderr.strip(), path
