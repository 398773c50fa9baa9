"""Alembic environment: one history for SQLite and PostgreSQL, target metadata from watcher.store.schema.

The URL comes, in order, from the caller's ``Config.attributes['url']`` (watcher.store.migrate),
``alembic -x url=...``, or ``WATCHER_DATABASE_URL``. A caller may instead hand over an open
connection as ``Config.attributes['connection']``.

Upgrades started together (compose ``--scale``, several hosts, a service and an operator) run one after the
other, and the later ones find the schema at head instead of colliding on ``alembic_version``: on
PostgreSQL every upgrade first takes a transaction-level advisory lock, on SQLite its transaction takes the
write lock at BEGIN (the store's engine). DDL is transactional on both and the whole upgrade is one transaction
(``transactional_ddl``), so the lock is held until every migration of it commits.
"""

from __future__ import annotations

import os
from logging.config import fileConfig
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from alembic import context
from watcher.store.db import WRITE, make_engine, parse_url
from watcher.store.schema import metadata

MIGRATION_LOCK = 0x77617463686572  # "watcher": the advisory lock key every watcher migration takes
config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    url = (config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
           or os.environ.get("WATCHER_DATABASE_URL"))
    if not url:
        raise SystemExit("no database URL: set WATCHER_DATABASE_URL or pass -x url=...")
    return str(url)


def _configure(backend: str, **kwargs: Any) -> None:
    context.configure(
        target_metadata=metadata,
        compare_type=True,
        # SQLite cannot ALTER most things: its migrations copy-and-swap tables in batch mode.
        render_as_batch=backend == "sqlite",
        # One transaction for the whole upgrade on SQLite too (Alembic assumes SQLite's DDL is not transactional
        # and commits after each migration): between two commits a second upgrade took the lock, read the
        # half-way revision and replayed a migration the first was running ("table ... already exists").
        transactional_ddl=True,
        **kwargs,
    )


def run_offline() -> None:
    """Print the SQL instead of running it (`alembic upgrade head --sql`)."""
    url = parse_url(_url())
    _configure(url.get_backend_name(), url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Taken before configure(), so Alembic runs inside this transaction and the lock lasts until commit.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    _configure(connection.dialect.name, connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate through a connection: the caller's, or a fresh one that is closed afterwards."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(parse_url(_url()))
    try:
        with engine.connect() as connection:
            connection.execution_options(**{WRITE: True})
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
