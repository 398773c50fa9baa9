"""The Alembic history: up, down and up again on both backends, and in step with watcher.store.schema."""

# ruff: noqa: F811  (the fixtures imported from test_store_fixtures are used as arguments)
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from test_store_fixtures import T0, empty_url  # noqa: F401

from alembic import command
from watcher.store import Store, upgrade
from watcher.store.migrate import downgrade, head_revision
from watcher.store.schema import SCHEMA_REVISION, metadata

REPO = Path(__file__).resolve().parents[1]
TABLES = {"sources", "items", "matches", "digest_periods", "deliveries", "service_state"}


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def schema_diff(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_url: str) -> None:
    upgrade(empty_url)
    assert tables(empty_url) == TABLES
    downgrade(empty_url, "base")
    assert tables(empty_url) == set()
    upgrade(empty_url)
    upgrade(empty_url)  # at head already: nothing to do
    assert tables(empty_url) == TABLES
    with Store.open(empty_url) as s:
        s.sync_sources([("a", "https://a.example/rss")], now=T0)
        assert [h.name for h in s.source_health()] == ["a"]


def test_migrations_match_the_metadata(empty_url: str) -> None:
    upgrade(empty_url)
    assert schema_diff(empty_url) == []


def test_the_metadata_is_checked_against_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'partial.db'}"
    upgrade(url)
    downgrade(url, "base")
    assert schema_diff(url) != []  # the check above can fail: it sees missing tables


def test_the_store_expects_the_head_revision() -> None:
    assert head_revision() == SCHEMA_REVISION


def test_upgrade_creates_the_sqlite_directory(tmp_path: Path) -> None:
    path = tmp_path / "new" / "nested" / "watcher.db"
    upgrade(f"sqlite:///{path}")
    assert path.is_file() and tables(f"sqlite:///{path}") == TABLES


def test_the_alembic_command_line_config_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("WATCHER_DATABASE_URL", url)
    config = Config(str(REPO / "alembic.ini"))
    command.upgrade(config, "head")
    assert tables(url) == TABLES
    command.downgrade(config, "base")
    assert tables(url) == set()


def test_upgrades_started_together_on_a_fresh_database_all_succeed(empty_url: str) -> None:
    """Three `watcher db upgrade` at once (compose --scale, several hosts): each succeeds, the schema is at head."""
    env = dict(os.environ, WATCHER_DATABASE_URL=empty_url)
    started = [subprocess.Popen([sys.executable, "-m", "watcher", "db", "upgrade"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(3)]
    ended = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in started]
    assert [code for code, _ in ended] == [0, 0, 0], [err for _, err in ended]
    with Store.open(empty_url):  # refuses any schema but the head
        pass


def test_0008_dates_the_stored_matches_from_their_items(empty_url: str) -> None:
    """Matches stored before 0008 take their items' publication dates (a date later than first seen, or absurd,
    counts as first seen), so an upgraded store's digests count its past at once."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    upgrade(empty_url, "0005")
    engine = create_engine(empty_url)
    # SQLite keeps the store's naive UTC text; PostgreSQL takes aware times.
    zone = None if empty_url.startswith("sqlite") else UTC
    seen = datetime(2026, 3, 1, 12, 0, tzinfo=zone)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO sources (id, name, url, active, created_at) VALUES (1, 's', 'u', true, :t)"),
                         {"t": seen})
            dates = [seen - timedelta(days=3), seen + timedelta(days=1), datetime(1970, 1, 1, tzinfo=zone)]
            for n, published in enumerate(dates):
                conn.execute(text("INSERT INTO items (id, key_hash, key, source_id, title, text, published_at, "
                                  "first_seen_at) VALUES (:n, :h, :k, 1, 't', '', :p, :s)"),
                             {"n": n + 1, "h": f"h{n}", "k": f"k{n}", "p": published, "s": seen})
                conn.execute(text('INSERT INTO matches (item_id, entry_id, field, text, start, "end", snippet, rule, '
                                  "found_at) VALUES (:n, 'e', 'title', 'x', 0, 1, 'x', 'name', :s)"),
                             {"n": n + 1, "s": seen})
    finally:
        engine.dispose()
    upgrade(empty_url)
    with Store.open(empty_url) as store:
        utc_seen = seen.replace(tzinfo=UTC)  # (already so on PostgreSQL)
        assert store.last_mentions(utc_seen) == {"e": utc_seen}
        assert store.first_mention_at() == utc_seen - timedelta(days=3)
