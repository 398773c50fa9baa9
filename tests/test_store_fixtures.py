"""Database fixtures for the store tests: an empty SQLite file or a fresh PostgreSQL schema per test.

Every PostgreSQL test gets its own schema (search_path set through the URL), so parallel runs on the
same server never see each other's tables. The store test modules import these fixtures.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from watcher.store import Store, upgrade

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _postgres_schema_url(base: str) -> Iterator[str]:
    schema = f"watcher_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file path, or a fresh schema of the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'watcher.db'}"
        return
    yield from _postgres_schema_url(request.getfixturevalue("postgres_url"))


@pytest.fixture
def db_url(empty_url: str) -> str:
    """The URL of a database migrated to head."""
    upgrade(empty_url)
    return empty_url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An open store on a migrated database, closed after the test."""
    with Store.open(db_url) as opened:
        yield opened


def test_postgres_schemas_are_isolated(postgres_url: str) -> None:
    """Two fixture schemas on one server do not see each other's tables."""
    first, second = _postgres_schema_url(postgres_url), _postgres_schema_url(postgres_url)
    url_a, url_b = next(first), next(second)
    try:
        upgrade(url_a)
        with Store.open(url_a) as a:
            a.sync_sources([("only-in-a", "https://a.example/rss")], now=T0)
        upgrade(url_b)
        with Store.open(url_b) as b:
            assert b.source_health() == []
    finally:
        first.close()
        second.close()
