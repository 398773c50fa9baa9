"""What every part of the store shares: the engine, transactions that map errors, small helpers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import Engine, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from watcher.errors import StoreError
from watcher.store.db import WRITE, translate_errors
from watcher.store.schema import sources

T = TypeVar("T")
# Below SQLite's oldest limit of 999 bound parameters per statement, and small enough for PostgreSQL plans.
BATCH = 500


class StoreBase:
    """The engine and the two kinds of transaction every method runs in."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with translate_errors(), self._engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        # One transaction: everything in the block is committed together or not at all.
        with translate_errors(), self._engine.connect() as conn:
            conn.execution_options(**{WRITE: True})
            with conn.begin():
                yield conn

    def _insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """A dialect insert, so callers can use ON CONFLICT on both backends."""
        if self._engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    @staticmethod
    def _source_id(conn: Connection, name: str) -> int:
        source_id = conn.execute(select(sources.c.id).where(sources.c.name == name)).scalar()
        if source_id is None:
            raise StoreError(f"unknown source {name!r}", hint="sources come from the watchlist: sync them first")
        return int(source_id)


def batched(values: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    """``values`` in lists of at most ``size``."""
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


def row_dict(row: Any) -> dict[str, Any]:
    """A result row as a plain dict."""
    return dict(row._mapping)


def unique_by_key(values: Sequence[T], key: Any) -> list[T]:
    """``values`` without later duplicates of the same ``key(value)``, in order."""
    seen: set[Any] = set()
    out: list[T] = []
    for value in values:
        k = key(value)
        if k not in seen:
            seen.add(k)
            out.append(value)
    return out
