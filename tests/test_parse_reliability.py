"""The parse stage's share of issue 15, each point as a user meets it: `watcher poll` of a local server into a
real database (SQLite, and PostgreSQL when configured), `watcher scan`, `watcher digest`."""

# ruff: noqa: F811 (pytest fixtures imported from test_store_fixtures are parameters here)
from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from test_store_fixtures import db_url, empty_url  # noqa: F401 (fixtures)

from watcher.cli import main
from watcher.feedserver import serve_folder
from watcher.models import Item
from watcher.parse import parse_feed
from watcher.store.db import make_engine, parse_url
from watcher.store.schema import items as items_t

NOW = datetime.now(UTC).replace(microsecond=0)
URL = "https://news.example/rss"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@pytest.fixture
def site(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    """A folder served on 127.0.0.1 and a watchlist naming its feeds: (folder, base URL); WATCHER_* set."""
    folder = tmp_path / "feeds"
    folder.mkdir()
    monkeypatch.setenv("WATCHER_DATABASE_URL", db_url)
    monkeypatch.setenv("WATCHER_LOG_LEVEL", "ERROR")
    with serve_folder(folder) as base:
        yield folder, base


def write_watchlist(tmp_path: Path, base: str, names: list[str], monkeypatch: pytest.MonkeyPatch,
                    digest_zone: str = "UTC") -> None:
    sources = "".join(f"  - {{name: {name}, url: {base}/{name}.xml}}\n" for name in names)
    config = tmp_path / "watchlist.yaml"
    config.write_text(f"sources:\n{sources}actors:\n  - {{id: pashinyan, name: Nikol Pashinyan}}\n"
                      f"digests:\n  - {{id: daily, title: Daily, to: [a@example.org], schedule: daily 07:00,"
                      f" timezone: {digest_zone}}}\n", encoding="utf-8")
    monkeypatch.setenv("WATCHER_CONFIG", str(config))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def stored_rows(db_url: str) -> list[dict[str, object]]:
    engine = make_engine(parse_url(db_url))
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(select(items_t))]
    finally:
        engine.dispose()


def rss(items: str) -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Desk</title>'
            f"<link>https://news.example/</link>{items}</channel></rss>")


def item(n: int, title: str, *, link: str | None = None, body: str = "Report.", when: datetime | str | None = None,
         extra: str = "") -> str:
    date = when if isinstance(when, str) else format_datetime(when or NOW - timedelta(hours=n))
    return (f"<item><title>{title}</title><link>{link or f'https://news.example/{n}'}</link>"
            f"<description>{body}</description><pubDate>{date}</pubDate>{extra}</item>")


# Absurd dates: clamped at the parser, so no digest in any zone overflows shifting them.

ABSURD = ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-12:00",
          "Thu, 01 Jan 1970 00:00:00 +0000", "1900-01-01T00:00:00Z", "Mon, 01 Jan 0001 00:00:00 GMT",
          "Fri, 31 Dec 9999 23:59:59 GMT"]


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Pacific/Kiritimati", "Etc/GMT+12"])
def test_absurd_dates_are_clamped_and_every_digest_renders(
        tmp_path: Path, site: tuple[Path, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        zone: str) -> None:
    folder, base = site
    items = "".join(item(n, f"Nikol Pashinyan story {n}", when=date) for n, date in enumerate(ABSURD))
    (folder / "odd.xml").write_bytes(rss(items).encode())
    write_watchlist(tmp_path, base, ["odd"], monkeypatch, digest_zone=zone)
    assert run(capsys, "db", "upgrade")[0] == 0
    code, out, err = run(capsys, "poll")
    assert code == 0 and f"odd: {len(ABSURD)} new of {len(ABSURD)} items" in out, out + err
    for fmt in ("text", "html", "json"):
        code, out, err = run(capsys, "digest", "daily", "--preview", "--format", fmt, "--since", "1d")
        assert code == 0 and "Traceback" not in err, err
        assert "Nikol Pashinyan story 0" in out


@pytest.mark.parametrize("fast_path", [True, False])
def test_absurd_dates_become_the_fetch_time(fast_path: bool) -> None:
    items = "".join(item(n, f"Story {n}", when=date) for n, date in enumerate(ABSURD))
    parsed = parse_feed(rss(items + item(99, "Sane", when=NOW - timedelta(days=2))).encode(), url=URL, fetched_at=NOW,
                        fast_path=fast_path)
    assert [i.published for i in parsed.items] == [NOW] * len(ABSURD) + [NOW - timedelta(days=2)]


# A link that changes between polls only by a parameter: the same item, stored once.

def changing_feed(version: int, *, dated: bool = True) -> str:
    return rss("".join(
        item(n, f"Story {n} on Nikol Pashinyan", link=f"https://news.example/{n}?v={version}{n}",
             body=f"Report {n}.", when=NOW - timedelta(hours=n) if dated else "")
        for n in range(1, 6)))


@pytest.mark.parametrize("dated", [True, False])
def test_a_link_with_a_changing_parameter_is_stored_once(
        tmp_path: Path, site: tuple[Path, str], db_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], dated: bool) -> None:
    folder, base = site
    write_watchlist(tmp_path, base, ["wire"], monkeypatch)
    assert run(capsys, "db", "upgrade")[0] == 0
    (folder / "wire.xml").write_bytes(changing_feed(1, dated=dated).encode())
    code, out, _ = run(capsys, "poll")
    assert "wire: 5 new of 5 items, 5 new matches" in out
    for version in (2, 3):
        (folder / "wire.xml").write_bytes(changing_feed(version, dated=dated).encode())
        code, out, err = run(capsys, "poll")
        assert code == 0 and "wire: 0 new of 5 items, 0 new matches" in out, out + err
    assert len(stored_rows(db_url)) == 5
    code, out, _ = run(capsys, "sources", "--json")
    assert json.loads(out.splitlines()[0])["items"] == 5
    # A new story among them is still new.
    (folder / "wire.xml").write_bytes(changing_feed(4, dated=dated).replace(
        "<item>", item(0, "A new story", link="https://news.example/new?v=4") + "<item>", 1).encode())
    code, out, _ = run(capsys, "poll")
    assert "wire: 1 new of 6 items" in out


def test_content_identity_needs_the_same_page_title_and_date() -> None:
    """The same page under other parameters is the same item; the same title elsewhere or at another time is
    another."""
    first = parse_feed(changing_feed(1).encode(), url=URL, fetched_at=NOW)
    known = {i.key for i in first.items} | {i.identity for i in first.items if i.identity}
    again = parse_feed(changing_feed(2).encode(), url=URL, fetched_at=NOW, skip=known)
    assert again.items == () and again.skipped == 5
    photos = rss("".join(item(n, "Photo of the day", link=f"https://news.example/photo/{n}?v=1", body="Our picture.",
                              when="")
                         for n in range(3)))
    parsed = parse_feed(photos.encode(), url=URL, fetched_at=NOW)
    assert len({i.identity for i in parsed.items}) == 3
    same_page = rss("".join(item(n, "Photo", link=f"https://news.example/photo.php?id={n}", body="", when="")
                            for n in range(3)))
    assert [i.identity for i in parse_feed(same_page.encode(), url=URL, fetched_at=NOW).items] == [None] * 3
    later = rss("".join(item(n, f"Story {n} on Nikol Pashinyan", link=f"https://news.example/{n}?v=3",
                             body=f"Report {n}.", when=NOW - timedelta(hours=n, seconds=-1)) for n in range(1, 6)))
    other_dates = parse_feed(later.encode(), url=URL, fetched_at=NOW, skip=known)
    assert len(other_dates.items) == 5  # the same page and title, published at another time: another item
    # A GUID or a link without parameters is the item's identity already: nothing could change under it.
    plain = parse_feed(rss("<item><title>t</title><guid isPermaLink='false'>g1</guid></item>" + item(1, "u")).encode(),
                       url=URL, fetched_at=NOW)
    assert [i.identity for i in plain.items] == [None, None]


# NUL bytes: no item may carry one to the store (PostgreSQL refuses it and the whole poll's batch with it).

NUL_RSS = rss(item(1, "Nikol\x00 Pashinyan in Brussels", body="Talks\x00 went &#0;on.&amp;#0;",
                   extra="<author>desk\x00@news.example</author><guid isPermaLink='false'>g\x00-1</guid>")
              + item(2, "Second", link="https://news.example/2?\x00q=1", body="&lt;p&gt;A\x00B&lt;/p&gt;"))
_ENCODED = base64.b64encode(b"<p>Hidden\x00NUL and Nikol Pashinyan</p>").decode()
NUL_ATOM = ('<?xml version="1.0" encoding="utf-8"?><feed version="0.3" xmlns="http://purl.org/atom/ns#">'
            "<title>Atom desk</title><entry><title>Encoded</title><link rel='alternate' href='https://atom.example/1'/>"
            f"<id>urn:atom:1</id><content type='text/html' mode='base64'>{_ENCODED}</content>"
            "<issued>2026-11-20T10:00:00Z</issued></entry></feed>")


def test_nul_never_reaches_the_store_and_every_source_is_stored(
        tmp_path: Path, site: tuple[Path, str], db_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    folder, base = site
    (folder / "nul.xml").write_bytes(NUL_RSS.encode())
    (folder / "atom.xml").write_bytes(NUL_ATOM.encode())
    (folder / "clean.xml").write_bytes(rss(item(1, "Clean one", link="https://clean.example/1")).encode())
    write_watchlist(tmp_path, base, ["nul", "atom", "clean"], monkeypatch)
    assert run(capsys, "db", "upgrade")[0] == 0
    code, out, err = run(capsys, "poll")
    assert code == 0, out + err
    assert "nul: 2 new of 2 items" in out and "atom: 1 new of 1 items" in out and "clean: 1 new of 1 items" in out
    rows = stored_rows(db_url)
    assert len(rows) == 4
    for row in rows:
        assert not any(isinstance(value, str) and _UNSTORABLE.search(value) for value in row.values()), row
    titles = {row["title"] for row in rows}
    assert "Nikol Pashinyan in Brussels" in titles
    code, out, _ = run(capsys, "matches", "--json", "--since", "3650d")
    assert {json.loads(line)["title"] for line in out.splitlines()} >= {"Nikol Pashinyan in Brussels", "Encoded"}


# Surrogate character references: replaced, and every item kept.

SURROGATES = rss(
    item(1, "Smile &#55357;&#56832; decimal, &#xD83D;&#xDE00; hex, lone &#55357; and &#xDE00;",
         link="https://news.example/1?mood=&#55357;&#56832;", body="&lt;p&gt;Body &amp;#55357;&amp;#56832;&lt;/p&gt;",
         extra="<guid isPermaLink='false'>&#xD83D;guid</guid>")
    + item(2, "Attribute", extra='<source url="https://outlet.example/&#xDE00;">Outlet &#56832;</source>')
    + item(3, "Third, clean"))


@pytest.mark.parametrize("fast_path", [True, False])
def test_surrogate_references_are_replaced_and_every_item_kept(fast_path: bool) -> None:
    parsed = parse_feed(SURROGATES.encode(), url=URL, fetched_at=NOW, fast_path=fast_path)
    assert [i.title for i in parsed.items] == [
        "Smile 😀 decimal, 😀 hex, lone \ufffd and \ufffd", "Attribute", "Third, clean"]
    first = parsed.items[0]
    assert first.text == "Body 😀" and first.guid == "\ufffdguid" and first.link is not None and "😀" in first.link


def test_scan_keeps_a_feed_with_surrogate_references(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(SURROGATES.encode())
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text("actors:\n  - {id: pashinyan, name: Nikol Pashinyan}\n", encoding="utf-8")
    code, out, err = run(capsys, "--config", str(watchlist), "scan", str(path), "--json")
    assert code == 0, err
    assert next(json.loads(line)["title"] for line in out.splitlines()).startswith("Smile 😀 decimal")


_HOSTILE = st.sampled_from(["\x00", "&#0;", "&#55357;", "&#56832;", "&#xD83D;&#xDE00;", "&#x110000;", "&#xFFFE;",
                            "&amp;#0;", "&amp;#xD800;", "\ud800", "&#1;", "&#x1F600;", "a", "<b>", " ", "&lt;p&gt;"])


@settings(max_examples=150, deadline=None)
@given(st.lists(_HOSTILE, max_size=12).map("".join), st.booleans())
def test_no_item_field_holds_what_a_database_cannot(noise: str, fast_path: bool) -> None:
    """Every text field of every Item, by either path, whatever references and NULs the document holds."""
    content = rss(item(1, f"T{noise}", link=f"https://news.example/1{noise}", body=f"B{noise}",
                       extra=f"<author>{noise}a@b.example</author><guid isPermaLink='false'>g{noise}</guid>")
                  + item(2, f"U{noise}", body=f"&lt;p&gt;{noise}&lt;/p&gt;")).encode("utf-8", "surrogatepass")
    parsed = parse_feed(content, url=URL, fetched_at=NOW, fast_path=fast_path)
    assert len(parsed.items) == 2
    for it in parsed.items:
        for value in _fields(it):
            assert not _UNSTORABLE.search(value), (value, it)
            value.encode("utf-8")


def _fields(it: Item) -> list[str]:
    return [value for value in (it.key, it.title, it.text, it.link, it.guid, it.author, it.summary_html, it.publisher,
                                it.language, it.identity) if value is not None]
