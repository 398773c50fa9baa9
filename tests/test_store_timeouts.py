"""The store's connections fail instead of hanging: PostgreSQL gets connect, keepalive, TCP and statement
timeouts (each can be set in the URL instead), SQLite its busy timeout."""

from __future__ import annotations

import socket
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import make_url, text

from watcher.errors import StoreError
from watcher.store import Store, upgrade
from watcher.store.db import make_engine, parse_url


@pytest.mark.postgres
def test_postgres_connections_carry_deadlines_and_the_url_may_set_its_own(postgres_url: str) -> None:
    engine = make_engine(parse_url(postgres_url))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "5min"
            params = conn.connection.dbapi_connection.info.get_parameters()  # type: ignore[union-attr]
            assert (params["connect_timeout"], params["keepalives"], params["tcp_user_timeout"]) == ("10", "1", "60000")
    finally:
        engine.dispose()
    own = make_url(postgres_url).update_query_dict({"connect_timeout": "3", "options": "-c statement_timeout=2s"})
    engine = make_engine(parse_url(own.render_as_string(hide_password=False)))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "2s"
            params = conn.connection.dbapi_connection.info.get_parameters()  # type: ignore[union-attr]
            assert params["connect_timeout"] == "3"
            with pytest.raises(Exception, match="statement timeout"):
                conn.execute(text("SELECT pg_sleep(5)"))
    finally:
        engine.dispose()


def test_a_database_server_that_never_answers_fails_the_connect_by_default(tmp_path: Path) -> None:
    errors: list[Exception] = []

    def connect(port: int) -> None:
        try:
            Store.open(f"postgresql+psycopg://nobody@127.0.0.1:{port}/none")
        except StoreError as e:
            errors.append(e)

    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never speaks
        thread = threading.Thread(target=connect, args=(silent.getsockname()[1],), daemon=True)
        thread.start()
        thread.join(60)  # a bound for the hang this guards against (the default deadline is 10 s)
        assert not thread.is_alive(), "connecting to a silent server hung"
    (error,) = errors
    assert "database" in str(error)


def test_sqlite_waits_for_a_lock_then_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}?timeout=0.2"
    upgrade(url.split("?")[0])
    with Store.open(url) as store:
        store.put_state("x", {}, now=datetime.now(UTC))
        other = sqlite3.connect(tmp_path / "l.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreError, match="locked"):
                store.put_state("x", {}, now=datetime.now(UTC))
        finally:
            other.execute("ROLLBACK")
            other.close()
