"""SQLite allows one service per database file: an exclusive lock file beside it says who holds it.

The lock file is named after the database file itself, not the path a URL gives: a symlink to it, a symlinked
folder, or another relative path all lead to one lock. (A hard link is another name for the same file that no path
resolves to: the service warns when the database has several.)
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from watcher.errors import StoreError


class FileLock:
    """An exclusive, non-blocking ``flock`` on ``path``; released by the kernel if the holder dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise StoreError naming the process that holds it."""
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (held until release)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise StoreError(
                f"another `watcher run` ({holder}) is already using this SQLite database (lock {self.path})",
                hint="SQLite allows one service per file: stop the other one, "
                     "or use PostgreSQL to run several services") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {os.uname().nodename}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        """Let go of the lock."""
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def database_lock(database: Path) -> FileLock:
    """The lock of the SQLite database file ``database``, beside the file that path resolves to."""
    real = Path(os.path.realpath(database))
    return FileLock(real.with_name(real.name + ".lock"))
