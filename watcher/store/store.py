"""The Store: the one door to the database. Methods take and return the frozen values of watcher.models."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import text

from watcher.errors import StoreError
from watcher.store.db import UPGRADE_HINT, check_schema, make_engine, parse_url, sqlite_path, translate_errors
from watcher.store.history import HistoryMixin
from watcher.store.items import ItemsMixin
from watcher.store.leads import LeadsMixin
from watcher.store.periods import PeriodsMixin
from watcher.store.polls import PollsMixin
from watcher.store.scheduling import SchedulingMixin
from watcher.store.sources import SourcesMixin


class Store(SourcesMixin, PollsMixin, ItemsMixin, PeriodsMixin, HistoryMixin, LeadsMixin, SchedulingMixin):
    """Sources, items, matches and digest deliveries in SQLite or PostgreSQL."""

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to ``url`` and check its schema is current; never migrates (that is `watcher db upgrade`)."""
        parsed = parse_url(url)
        path = sqlite_path(parsed)
        # Connecting would create an empty file; a missing database is the operator's to create.
        if path is not None and not path.exists():
            raise StoreError(f"database file {path} does not exist", hint=UPGRADE_HINT)
        engine = make_engine(parsed)
        try:
            check_schema(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def shareable(self) -> bool:
        """Whether another process can open this database (not a SQLite database in this process's memory)."""
        return self.backend != "sqlite" or sqlite_path(self._engine.url) is not None

    def after_fork(self) -> None:
        """Call first thing in a forked child: connections never cross a fork, new ones are opened on demand."""
        self._engine.dispose(close=False)

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def backend(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self._engine.dialect.name

    def database_size(self) -> int | None:
        """The database's size in bytes (file pages for SQLite, pg_database_size for PostgreSQL)."""
        with translate_errors(), self._engine.connect() as conn:
            if self.backend == "sqlite":
                pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
                page_size = conn.exec_driver_sql("PRAGMA page_size").scalar()
                return None if pages is None or page_size is None else int(pages) * int(page_size)
            if self.backend == "postgresql":
                size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
                return None if size is None else int(size)
        return None
