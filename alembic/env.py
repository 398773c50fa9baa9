"""Alembic environment: one history for SQLite and PostgreSQL, target metadata from watcher.store.schema.

The URL comes, in order, from the caller's ``Config.attributes['url']`` (watcher.store.migrate),
``alembic -x url=...``, or ``WATCHER_DATABASE_URL``. A caller may instead hand over an open
connection as ``Config.attributes['connection']``.
"""

from __future__ import annotations

import os
from logging.config import fileConfig
from typing import Any

from sqlalchemy import create_engine, make_url, pool
from sqlalchemy.engine import Connection

from alembic import context
from watcher.store.schema import metadata

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
        **kwargs,
    )


def run_offline() -> None:
    """Print the SQL instead of running it (`alembic upgrade head --sql`)."""
    url = make_url(_url())
    _configure(url.get_backend_name(), url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    _configure(connection.dialect.name, connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate through a connection: the caller's, or a fresh one that is closed afterwards."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
