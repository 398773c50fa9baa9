"""The store stage: SQLite or PostgreSQL behind :class:`Store`; SQLAlchemy never leaves this package."""

from watcher.store.migrate import upgrade
from watcher.store.store import Store

__all__ = ["Store", "upgrade"]
