"""Engines for SQLite and PostgreSQL, and the translation of database errors into StoreError."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc, make_url, select, text
from sqlalchemy.engine import URL, Connection

from watcher.errors import ConfigError, StoreError
from watcher.redact import redact_url
from watcher.store.schema import SCHEMA_REVISION

DATABASE_SETTING = "WATCHER_DATABASE_URL"
EXAMPLE_URLS = "sqlite:///path/to/watcher.db or postgresql://user@host/db"
POSTGRES_SCHEMES = frozenset({"postgres", "postgresql"})  # with no driver named: psycopg 3
POSTGRES_DRIVER = "psycopg"
POSTGRES_INSTALL = "pip install 'watcher[postgres]'"
BUSY_TIMEOUT_S = 30.0  # SQLite: how long a writer waits for another writer's lock before "database is locked"
UPGRADE_HINT = "run `watcher db upgrade`"
WAL_CHECKPOINT_PAGES = 10_000  # pages of 4 KB
WAL_SIZE_LIMIT = 64 * 1024 * 1024  # bytes
WRITE = "watcher_write"  # execution option: this transaction writes (SQLite takes the write lock at BEGIN)
# PostgreSQL: how long a connection, a statement or a silent peer may take before the call fails instead of
# hanging the thread that made it (a partitioned network closes nothing). Each can be set in the URL instead.
POSTGRES_TIMEOUTS = {
    "connect_timeout": "10",  # seconds
    "keepalives": "1",
    "keepalives_idle": "30",  # seconds of silence before the first probe ...
    "keepalives_interval": "10",  # ... then one every 10 s ...
    "keepalives_count": "3",  # ... and the connection is dead after 3 unanswered
    "tcp_user_timeout": "60000",  # ms that sent data may stay unacknowledged
}
POSTGRES_SETTINGS = {"statement_timeout": "300000", "idle_in_transaction_session_timeout": "600000"}  # ms


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL of ``url`` with its driver loaded, or ConfigError: one line saying what to fix.

    ``postgres://`` and ``postgresql://`` (no driver named) mean psycopg 3, the driver of the ``postgres`` extra.
    """
    try:
        parsed = make_url(url)
    except exc.ArgumentError as e:
        raise ConfigError(f"{DATABASE_SETTING}: invalid database URL {redact_url(url)!r}: {e}: use {EXAMPLE_URLS}"
                          ) from None
    except ValueError:  # SQLAlchemy's int() of the port
        raise ConfigError(f"{DATABASE_SETTING}: the port (after host:) is not a number") from None
    port = parsed.port
    backend, _, driver = parsed.drivername.partition("+")
    if backend in POSTGRES_SCHEMES:
        backend, driver = "postgresql", driver or POSTGRES_DRIVER
        parsed = parsed.set(drivername=f"{backend}+{driver}")
    if backend not in {"sqlite", "postgresql"}:
        raise ConfigError(f"{DATABASE_SETTING}: unsupported database {backend!r}: use {EXAMPLE_URLS}")
    if port is not None and not 0 < port < 65536:
        raise ConfigError(f"{DATABASE_SETTING}: port {port} is not a TCP port (1-65535)")
    try:
        parsed.get_dialect().import_dbapi()
    except exc.NoSuchModuleError:
        raise ConfigError(f"{DATABASE_SETTING}: unknown {backend} driver {driver!r}: "
                          f"write {backend}+{POSTGRES_DRIVER if backend == 'postgresql' else 'pysqlite'}://..."
                          ) from None
    except ImportError as e:
        driver = parsed.get_driver_name()  # pysqlite when a sqlite:// URL names none
        install = POSTGRES_INSTALL if driver == POSTGRES_DRIVER else f"install the module {e.name or driver}"
        raise ConfigError(f"{DATABASE_SETTING}: the {backend} driver {driver} is not installed: {install}") from None
    return parsed


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL, or None for in-memory databases and other backends."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def make_engine(url: URL) -> Engine:
    """An engine for ``url``: SQLite in WAL mode with foreign keys and a busy timeout, or PostgreSQL."""
    if url.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, connect_args=_postgres_timeouts(url))
    try:  # sqlite:///watcher.db?timeout=5 shortens the wait for a lock, in seconds
        busy = float(url.query.get("timeout", BUSY_TIMEOUT_S))  # type: ignore[arg-type]
    except ValueError:
        raise StoreError(f"timeout={url.query['timeout']!r} in the database URL is not a number of seconds") from None
    engine = create_engine(url.difference_update_query(["timeout"]), connect_args={"timeout": busy})

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The sqlite3 module's own BEGIN is deferred and implicit; we emit BEGIN ourselves (see _sqlite_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the poller's writes
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a power cut loses at most the last commits
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy * 1000)}")
        # A poll commits often: checkpointing every 40 MB of WAL instead of every 4 MB copies each index page
        # back once rather than again and again, and syncs less (a third of the wall time of storing items).
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")  # the WAL file shrinks back after a burst
        cursor.execute("PRAGMA temp_store=MEMORY")  # sorts of digest queries never touch the disk
        cursor.close()

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _postgres_timeouts(url: URL) -> dict[str, str]:
    """The libpq parameters of POSTGRES_TIMEOUTS and POSTGRES_SETTINGS that ``url`` does not set itself."""
    args = {k: v for k, v in POSTGRES_TIMEOUTS.items() if k not in url.query}
    given = url.query.get("options", "")
    options = " ".join([given] if isinstance(given, str) else list(given))
    extra = [f"-c {k}={v}" for k, v in POSTGRES_SETTINGS.items() if k not in options]
    if extra:
        args["options"] = " ".join([options, *extra]).strip()
    return args


def _sqlite_begin(conn: Connection) -> None:
    # A deferred transaction that reads then writes cannot wait for the lock: SQLite fails it at once with
    # "database is locked". Writers take the lock up front instead, so the busy timeout applies.
    immediate = conn.get_execution_options().get(WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def check_schema(engine: Engine) -> None:
    """Raise StoreError unless the database's Alembic revision is the one this code expects."""
    with translate_errors(), engine.connect() as conn:
        if not engine.dialect.has_table(conn, "alembic_version"):
            raise StoreError("the database has no watcher schema", hint=UPGRADE_HINT)
        version = conn.execute(select(text("version_num")).select_from(text("alembic_version"))).scalar()
    if version != SCHEMA_REVISION:
        raise StoreError(f"schema revision {version!r} is not the {SCHEMA_REVISION!r} this version expects",
                         hint=f"schema is older than this version: {UPGRADE_HINT} "
                              "(or, if the database is newer, upgrade watcher)")


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn SQLAlchemy and driver errors into StoreError with an operator hint."""
    try:
        yield
    except exc.StatementError as e:
        if isinstance(e.orig, (ValueError, TypeError)) and not isinstance(e, exc.DBAPIError):
            raise e.orig from None  # a bad value from the caller (e.g. a naive datetime) is a bug, not a DB error
        raise StoreError(_message(e), hint=_hint(e)) from e
    except exc.SQLAlchemyError as e:
        raise StoreError(_message(e), hint=_hint(e)) from e


def _message(e: exc.SQLAlchemyError) -> str:
    orig = getattr(e, "orig", None)
    first_line = str(orig if orig is not None else e).strip().splitlines()
    return f"database error: {first_line[0] if first_line else type(e).__name__}"


def _hint(e: exc.SQLAlchemyError) -> str:
    message = str(getattr(e, "orig", None) or e).lower()
    if "locked" in message or "could not obtain lock" in message:
        return "database is locked by another process: retry, or stop the other writer"
    missing = "no such table" in message or "no such column" in message
    if missing or ("does not exist" in message and ("relation" in message or "column" in message)):
        return f"schema is missing or older than this version: {UPGRADE_HINT}"
    if isinstance(e, exc.IntegrityError):
        return "a constraint was violated: the data handed to the store is inconsistent"
    if isinstance(e, exc.OperationalError) or "connect" in message or "unable to open" in message:
        return "database unreachable: check WATCHER_DATABASE_URL, that the server runs and the file is writable"
    return "check the database and WATCHER_DATABASE_URL"

