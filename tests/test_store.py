"""The store's sources, items and matches on real SQLite and real PostgreSQL (the same tests on both)."""

# ruff: noqa: F811  (the fixtures imported from test_store_fixtures are used as arguments)
from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine
from test_store_fixtures import T0, db_url, empty_url, store  # noqa: F401

from watcher.errors import ConfigError, StoreError
from watcher.models import FetchState, Item, Match, Period, PollRecord
from watcher.store import Store, upgrade
from watcher.store.schema import sources as sources_table

H = timedelta(hours=1)


def item(n: int, *, published: datetime = T0, **changes: object) -> Item:
    fields: dict[str, object] = {
        "key": f"https://news.example/{n}", "title": f"Title {n}", "text": f"Text of item {n}",
        "link": f"https://news.example/{n}", "published": published,
    }
    fields.update(changes)
    return Item(**fields)  # type: ignore[arg-type]


def match(entry: str = "pashinyan", start: int = 0, field: str = "title") -> Match:
    return Match(entry_id=entry, field=field, text="Pashinyan", start=start, end=start + 9,  # type: ignore[arg-type]
                 snippet="... [[Pashinyan]] said ...", rule="name")


def success(s: Store, source: str, items: list[Item], matches: dict[str, list[Match]] | None = None, *,
            now: datetime = T0, etag: str | None = '"v1"') -> tuple[int, int]:
    return s.record_success(source, now=now, status=200, etag=etag, last_modified="Sun, 01 Mar 2026 12:00:00 GMT",
                            items=items, matches=matches or {})


def failure(s: Store, source: str, *, now: datetime = T0, error: str = "timeout", status: int | None = None,
            failures: int = 1, next_due_at: datetime | None = None, reason: str | None = None,
            owner: str | None = None) -> None:
    """A failed poll's record, as the poll's decider would have decided it."""
    s.record_polls([PollRecord(source, now, "error", status, next_due_at=next_due_at or now + H, failures=failures,
                               error=error, disabled_reason=reason)], owner=owner)


def fetch_state(s: Store, name: str) -> FetchState:
    state = s.poll_states([name]).get(name)
    return state.fetch if state else FetchState()


def health(s: Store, name: str):  # type: ignore[no-untyped-def]
    return next(h for h in s.source_health() if h.name == name)


# --- opening ---------------------------------------------------------------------------------------------------

def test_open_refuses_a_database_without_schema(empty_url: str) -> None:
    if empty_url.startswith("sqlite"):
        sqlite3.connect(empty_url.removeprefix("sqlite:///")).close()  # an empty file
    with pytest.raises(StoreError, match="watcher db upgrade"):
        Store.open(empty_url)


def test_open_does_not_create_a_missing_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(f"sqlite:///{path}")
    assert not path.exists()


def test_open_refuses_an_older_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url)
    with sqlite3.connect(tmp_path / "old.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0000'")
    with pytest.raises(StoreError) as raised:
        Store.open(url)
    assert "older than this version" in str(raised.value) and "watcher db upgrade" in str(raised.value)


def test_unreachable_postgres_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="unreachable"):
        Store.open("postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2")


def test_unsupported_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unsupported"):
        Store.open("mysql://localhost/watcher")


def test_a_locked_sqlite_database_is_a_store_error_with_hint(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    upgrade(f"sqlite:///{path}")
    with Store.open(f"sqlite:///{path}?timeout=0.1") as s:
        s.sync_sources([("a", "https://a.example/rss")], now=T0)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            with pytest.raises(StoreError, match="locked"):
                failure(s, "a")
        finally:
            other.execute("ROLLBACK")
            other.close()
        failure(s, "a")  # the lock released, writing works again
        assert health(s, "a").consecutive_failures == 1


# --- sources ---------------------------------------------------------------------------------------------------

def test_sync_sources_inserts_updates_and_deactivates(store: Store) -> None:
    store.sync_sources([("a", "https://a.example/rss"), ("b", "https://b.example/rss")], now=T0)
    success(store, "a", [item(1)])
    success(store, "b", [item(2)])
    store.sync_sources([("a", "https://a.example/rss"), ("b", "https://b.example/new-rss"),
                        ("c", "https://c.example/rss")], now=T0 + H)
    assert fetch_state(store, "a") == FetchState(etag='"v1"', last_modified="Sun, 01 Mar 2026 12:00:00 GMT")
    assert fetch_state(store, "b") == FetchState()  # a new URL: the old validators are dropped
    assert [(h.name, h.url, h.active) for h in store.source_health()] == [
        ("a", "https://a.example/rss", True), ("b", "https://b.example/new-rss", True),
        ("c", "https://c.example/rss", True)]

    store.sync_sources([("c", "https://c.example/rss")], now=T0 + 2 * H)
    assert [(h.name, h.active, h.total_items) for h in store.source_health()] == [
        ("a", False, 1), ("b", False, 1), ("c", True, 0)]  # history kept
    assert len(store.items_between(Period(T0 - H, T0))) == 2

    store.sync_sources([("a", "https://a.example/rss")], now=T0 + 3 * H)
    assert health(store, "a").active and health(store, "a").etag == '"v1"'


def test_services_adding_the_same_source_at_once_do_not_collide(db_url: str) -> None:
    """Another process inserts a source while this one syncs the same new source: no unique-key error."""
    engine = create_engine(db_url)
    failures: list[BaseException] = []
    with Store.open(db_url) as store:
        with engine.connect() as other:
            transaction = other.begin()
            other.execute(sources_table.insert().values(name="a", url="https://a.am/rss", active=True,
                                                       created_at=T0))

            def sync() -> None:
                try:
                    store.sync_sources([("a", "https://a.am/rss")], now=T0)
                except BaseException as e:  # handed to the test's thread
                    failures.append(e)

            syncing = threading.Thread(target=sync)
            syncing.start()
            # Long enough for the sync to reach the other's uncommitted row and wait on it (it cannot pass it).
            syncing.join(0.5)
            transaction.commit()
        syncing.join(30)
        assert not syncing.is_alive() and failures == []
        assert [h.name for h in store.source_health()] == ["a"]
    engine.dispose()


def test_an_unknown_source_has_no_poll_state(store: Store) -> None:
    assert store.poll_states(["never-seen"]) == {}


def test_writes_for_an_unknown_source_fail(store: Store) -> None:
    with pytest.raises(StoreError, match="unknown source"):
        success(store, "ghost", [item(1)])
    with pytest.raises(StoreError, match="unknown source"):
        failure(store, "ghost")
    with pytest.raises(StoreError, match="unknown source"):
        store.record_polls([PollRecord("ghost", T0, "not-modified", 304, next_due_at=T0 + H, failures=0)])


def test_a_poll_record_is_written_as_decided(store: Store) -> None:
    store.sync_sources([("a", "https://a.example/rss")], now=T0)
    failure(store, "a", error="HTTP 503", status=503, failures=1, next_due_at=T0 + H)
    failure(store, "a", now=T0 + H, error="connect timeout", failures=2, next_due_at=T0 + 3 * H)
    h = health(store, "a")
    assert (h.consecutive_failures, h.last_status, h.last_error, h.failing) == (2, None, "connect timeout", True)
    assert h.last_attempt_at == T0 + H and h.last_success_at is None and h.next_due_at == T0 + 3 * H

    store.record_polls([PollRecord("a", T0 + 2 * H, "not-modified", 304, next_due_at=T0 + 3 * H, failures=0,
                                   moved_to="https://b.example/rss")])
    h = health(store, "a")
    assert (h.consecutive_failures, h.last_status, h.last_error, h.moved_to) == (0, 304, None, "https://b.example/rss")
    assert h.last_success_at == T0 + 2 * H and h.next_due_at == T0 + 3 * H

    failure(store, "a", now=T0 + 3 * H, error="HTTP 410", status=410, failures=1, reason="gone")
    store.record_polls([PollRecord("a", T0 + 3 * H, "error", 410, next_due_at=None, failures=2, error="HTTP 410",
                                   disabled_reason="gone")])
    h = health(store, "a")
    assert (h.next_due_at, h.disabled_reason, h.consecutive_failures) == (None, "gone", 2)
    success(store, "a", [item(1)], now=T0 + 4 * H)
    h = health(store, "a")
    assert (h.consecutive_failures, h.last_status, h.last_error, h.total_items) == (0, 200, None, 1)


# --- items and matches -----------------------------------------------------------------------------------------

def test_record_success_round_trips_items_matches_and_state(store: Store) -> None:
    store.sync_sources([("a", "https://a.example/rss")], now=T0)
    full = item(1, guid="urn:1", author="Anna Hakobyan", summary_html="<p>Ереван <b>Երևան</b></p>",
                publisher="Armenpress", language="hy", title="Пашинян и Алиев / Փաշինյան")
    bare = item(2, link=None, published=T0 - 2 * H)
    assert success(store, "a", [full, bare], {full.key: [match(), match(start=20, field="text")]},
                   now=T0 + H) == (2, 2)

    stored = store.items_between(Period(T0, T0 + H))
    assert [s.item for s in stored] == [full, bare]
    assert {s.source for s in stored} == {"a"} and {s.first_seen for s in stored} == {T0 + H}
    found = store.matches_between(Period(T0, T0 + H))
    assert [m.match for m in found] == [match(), match(start=20, field="text")]
    assert found[0].stored_item == stored[0] and found[0].found_at == T0 + H

    h = health(store, "a")
    assert (h.etag, h.last_modified, h.last_status, h.total_items) == ('"v1"', "Sun, 01 Mar 2026 12:00:00 GMT", 200, 2)
    assert h.newest_item_at == T0 and h.last_success_at == T0 + H

    assert success(store, "a", [full, bare], {full.key: [match()]}, now=T0 + 2 * H) == (0, 0)
    assert health(store, "a").total_items == 2


def test_newest_item_at_ignores_dates_in_the_future(store: Store) -> None:
    store.sync_sources([("a", "https://a.example/rss")], now=T0)
    success(store, "a", [item(1, published=T0 - H), item(2, published=T0 + 1000 * H)], now=T0)
    assert health(store, "a").newest_item_at == T0
    success(store, "a", [item(3, published=T0 - 5 * H)], now=T0 + H)
    assert health(store, "a").newest_item_at == T0  # an older item never moves it back


def test_items_are_unique_by_key_across_sources(store: Store) -> None:
    store.sync_sources([("a", "https://a.example/rss"), ("b", "https://b.example/rss")], now=T0)
    success(store, "a", [item(1)], {item(1).key: [match()]})
    assert success(store, "b", [item(1), item(2)], {item(1).key: [match("aliyev")]}, now=T0 + H) == (1, 0)
    assert [(s.source, s.item.key) for s in store.items_between(Period(T0 - H, T0 + H))] == [
        ("a", item(1).key), ("b", item(2).key)]
    assert [m.match.entry_id for m in store.matches_between(Period(T0 - H, T0 + H))] == ["pashinyan"]
    assert health(store, "b").total_items == 1


def test_duplicates_within_one_poll_are_stored_once(store: Store) -> None:
    store.sync_sources([("a", "https://a.example/rss")], now=T0)
    assert success(store, "a", [item(1), item(1, title="repeat")], {item(1).key: [match(), match()]}) == (1, 1)
    assert [s.item.title for s in store.items_between(Period(T0 - H, T0))] == ["Title 1"]


def test_record_success_is_atomic(store: Store) -> None:
    store.sync_sources([("a", "https://a.example/rss")], now=T0)
    success(store, "a", [item(1)], etag='"old"')
    broken = Match(entry_id="x", field="title", text=None, start=0, end=1, snippet="s")  # type: ignore[arg-type]
    # Items are inserted, then the NOT NULL on matches.text fails: nothing of this poll may remain.
    with pytest.raises(StoreError):
        success(store, "a", [item(2), item(3)], {item(2).key: [match()], item(3).key: [broken]},
                now=T0 + H, etag='"new"')
    assert store.known_keys([item(2).key, item(3).key]) == set()
    assert fetch_state(store, "a").etag == '"old"'
    assert health(store, "a").total_items == 1 and store.matches_since(T0 - H) == []
    assert success(store, "a", [item(2), item(3)], {item(2).key: [match()]}, now=T0 + H) == (2, 1)


def test_known_keys_batches_and_handles_long_keys(store: Store) -> None:
    store.sync_sources([("a", "https://a.example/rss")], now=T0)
    long_key = "https://news.example/" + "x" * 5000  # longer than a btree index entry may be
    stored = [item(n) for n in range(0, 1200, 2)] + [item(9999, key=long_key)]
    success(store, "a", stored)
    asked = [item(n).key for n in range(1200)] + [long_key, long_key + "y"]
    assert store.known_keys(asked) == {i.key for i in stored}
    assert store.known_keys([]) == set()


def test_matches_between_is_half_open_filtered_and_ordered(store: Store) -> None:
    store.sync_sources([("a", "https://a.example/rss")], now=T0)
    for n, when in enumerate([T0, T0 + H, T0 + 2 * H, T0 + 3 * H]):
        success(store, "a", [item(n)], {item(n).key: [match("aliyev", 5), match("pashinyan")]}, now=when)
    found = store.matches_between(Period(T0, T0 + 2 * H))  # (start, end]
    assert [(m.found_at, m.match.entry_id) for m in found] == [
        (T0 + H, "aliyev"), (T0 + H, "pashinyan"), (T0 + 2 * H, "aliyev"), (T0 + 2 * H, "pashinyan")]
    assert [m.id for m in found] == sorted(m.id for m in found)
    only = store.matches_between(Period(T0 - H, T0 + 3 * H), entry_ids={"pashinyan"})
    assert [m.match.entry_id for m in only] == ["pashinyan"] * 4
    assert store.matches_between(Period(T0 - H, T0 + 3 * H), entry_ids=[]) == []

    since = store.matches_since(T0 + H, entry_ids=["aliyev"], limit=1)
    assert [(m.found_at, m.match.entry_id) for m in since] == [(T0 + 2 * H, "aliyev")]
    assert len(store.matches_since(T0 - H)) == 8


def test_replace_matches_keeps_found_at_of_unchanged_matches(store: Store) -> None:
    store.sync_sources([("a", "https://a.example/rss")], now=T0)
    success(store, "a", [item(1)], {item(1).key: [match("pashinyan"), match("aliyev", 30)]})
    item_id = store.items_between(Period(T0 - H, T0))[0].id
    store.replace_matches(item_id, [match("pashinyan"), match("putin", 50), match("putin", 50)], now=T0 + H)
    found = store.matches_since(T0 - H)
    assert [(m.match.entry_id, m.found_at) for m in found] == [("pashinyan", T0), ("putin", T0 + H)]
    store.replace_matches(item_id, [], now=T0 + 2 * H)
    assert store.matches_since(T0 - H) == []
    with pytest.raises(StoreError, match="no item"):
        store.replace_matches(10**9, [match()], now=T0)


def test_datetimes_are_aware_utc_in_and_out(store: Store) -> None:
    yerevan = datetime(2026, 3, 1, 16, 0, tzinfo=ZoneInfo("Asia/Yerevan"))  # 12:00 UTC
    store.sync_sources([("a", "https://a.example/rss")], now=yerevan)
    success(store, "a", [item(1, published=yerevan - H)], now=yerevan)
    (stored,) = store.items_between(Period(T0 - H, T0))
    for value in (stored.first_seen, stored.item.published, health(store, "a").last_success_at):
        assert value is not None and value.tzinfo == UTC
    assert stored.first_seen == T0 and stored.item.published == T0 - H
    with pytest.raises(ValueError, match="naive"):
        failure(store, "a", now=datetime(2026, 3, 1, 12, 0), next_due_at=T0)


def test_database_size_is_reported(store: Store) -> None:
    size = store.database_size()
    assert size is not None and size > 0


def test_source_health_says_why_a_source_is_disabled(store: Store) -> None:
    store.sync_sources([("Gone", "http://example.org/gone.xml")], now=T0)
    assert store.source_health()[0].disabled is False
    owner = "test"
    claimed = store.claim_due(owner, now=T0, names=["Gone"], limit=1, lease=timedelta(minutes=1))
    assert claimed == ["Gone"]
    failure(store, "Gone", status=410, reason="410 Gone", owner=owner)
    health = store.source_health()[0]
    assert health.disabled and health.disabled_reason == "410 Gone"
