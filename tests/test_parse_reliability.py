"""The parse stage's share of issue 15, each point as a user meets it: `watcher poll` of a local server into a
real database (SQLite, and PostgreSQL when configured), `watcher scan`, `watcher digest`."""

# ruff: noqa: F811 (pytest fixtures imported from test_store_fixtures are parameters here)
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from test_store_fixtures import db_url, empty_url  # noqa: F401 (fixtures)

from watcher.cli import main
from watcher.feedserver import serve_folder
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
    """The same page under other parameters is the same item; the same title elsewhere is another."""
    first = parse_feed(changing_feed(1).encode(), url=URL, fetched_at=NOW)
    known = {i.key for i in first.items} | {i.identity for i in first.items if i.identity}
    again = parse_feed(changing_feed(2).encode(), url=URL, fetched_at=NOW, skip=known)
    assert again.items == () and again.skipped == 5
    photos = rss("".join(item(n, "Photo of the day", link=f"https://news.example/photo/{n}?v=1", body="", when="")
                         for n in range(3)))
    parsed = parse_feed(photos.encode(), url=URL, fetched_at=NOW)
    assert len({i.identity for i in parsed.items}) == 3
    later = rss("".join(item(n, f"Story {n} on Nikol Pashinyan", link=f"https://news.example/{n}?v=3",
                             body=f"Report {n}.", when=NOW - timedelta(hours=n, seconds=-1)) for n in range(1, 6)))
    other_dates = parse_feed(later.encode(), url=URL, fetched_at=NOW, skip=known)
    assert len(other_dates.items) == 5  # the same page and title, published at another time: another item
    no_link = parse_feed(rss("<item><title>t</title><guid isPermaLink='false'>g1</guid></item>").encode(), url=URL,
                         fetched_at=NOW)
    assert no_link.items[0].identity is None
