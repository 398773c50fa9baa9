"""What every part of the store shares: the engine, transactions that map errors, small helpers.

Speed layer: :func:`insert_rows` writes a poll's items and matches with multi-row VALUES statements built
here, beside :func:`insert_rows_core`, the same insert through SQLAlchemy Core, whose per-row parameter
handling costs more than SQLite's own work. It buys a quarter to a third of a poll's store step: storing
50,000 items of 1,000 feeds took 2.2-2.4 s of CPU against 2.8-3.1 s through Core on SQLite, and 4.2 s
against 6.3 s on PostgreSQL (``bench/store_speed.py --mode many --insert fast|core``, one session, medians
of 3). tests/test_store_bench.py holds the two to the same rows, ids and stored values on both backends.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from itertools import chain, islice
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, Table
from sqlalchemy.engine import Connection, Dialect

from watcher.store.db import WRITE, translate_errors

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

T = TypeVar("T")
# Below SQLite's oldest limit of 999 bound parameters per statement, and small enough for PostgreSQL plans.
BATCH = 500
# Rows per multi-row INSERT: past a few hundred, longer statements stop paying for themselves.
ROWS_PER_INSERT = 500
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


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
        return dialect_insert(self._engine.dialect.name, table)



def dialect_insert(dialect: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of ``dialect`` ('postgresql' or 'sqlite'), with its ON CONFLICT clauses."""
    # Imported here: the PostgreSQL dialect costs ~20 ms of every start on SQLite.
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def batched(values: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    """``values`` in lists of at most ``size``."""
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


def insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
                skip_conflicts: bool = False, returning: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (tuples in ``columns`` order) with multi-row VALUES; the ``returning`` columns of rows inserted.

    A bulk path for the poll's hot inserts: SQLAlchemy's per-row parameter handling cost more than the database's
    own work, so the driver gets flat tuples. Values still pass through each column type's bind processor
    (aware UTC datetimes, SQLite's text format), so rows are stored exactly as Core stores them. Values of
    columns with a processor must be hashable: each distinct value is converted once. With
    ``skip_conflicts`` a row that a unique index already holds is skipped, not an error.
    """
    if not rows:
        return []
    dialect = conn.dialect
    bound = _bind(dialect, table, columns, rows)
    preparer = dialect.identifier_preparer
    head = f"INSERT INTO {preparer.format_table(table)} ({', '.join(preparer.quote(c) for c in columns)}) VALUES "
    one = "(" + ", ".join([_PLACEHOLDERS[dialect.paramstyle]] * len(columns)) + ")"
    tail = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    if returning:
        tail += " RETURNING " + ", ".join(preparer.quote(c) for c in returning)
    size = max(1, min(ROWS_PER_INSERT, dialect.insertmanyvalues_max_parameters // len(columns)))
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(bound), size):
        chunk = bound[start:start + size]
        result = conn.exec_driver_sql(_values_sql(head, one, len(chunk), tail), tuple(chain.from_iterable(chunk)))
        if returning:
            out.extend(result.all())
    return out


def insert_rows_core(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
                     skip_conflicts: bool = False, returning: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    """:func:`insert_rows` through SQLAlchemy Core: the plain path the fast one must equal."""
    if not rows:
        return []
    statement = dialect_insert(conn.dialect.name, table)
    if skip_conflicts:
        statement = statement.on_conflict_do_nothing()
    params = [dict(zip(columns, row, strict=True)) for row in rows]
    if not returning:
        conn.execute(statement, params)
        return []
    result = conn.execute(statement.returning(*(table.c[c] for c in returning)), params)
    return [tuple(row) for row in result]


def _bind(dialect: Dialect, table: Table, columns: Sequence[str],
          rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
    """``rows`` with each value converted by its column type's bind processor for ``dialect``."""
    processors = [(i, p) for i, name in enumerate(columns)
                  if (p := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None]
    if not processors:
        return rows
    converted = [list(row) for row in rows]
    for i, process in processors:
        # Most rows share a few values (every row of a poll has the same first_seen): convert each once.
        memo: dict[Any, Any] = {}
        for row in converted:
            value = row[i]
            if value in memo:
                row[i] = memo[value]
            else:
                row[i] = memo[value] = process(value)
    return converted


@lru_cache(maxsize=64)
def _values_sql(head: str, one: str, count: int, tail: str) -> str:
    return head + ", ".join([one] * count) + tail


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
