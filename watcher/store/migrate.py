"""Alembic run from code: `watcher db upgrade` without an alembic.ini in the working directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import exc

from watcher.errors import StoreError
from watcher.store.db import parse_url, sqlite_path

if TYPE_CHECKING:  # alembic is imported when a migration runs: opening a store never needs it
    from alembic.config import Config

_PACKAGE = Path(__file__).resolve().parents[1]
# An installed wheel carries the repository's alembic/ as the package watcher.migrations; a checkout (or an
# editable install) has it beside the package.
_LOCATIONS = (_PACKAGE / "migrations", _PACKAGE.parent / "alembic")


def script_location() -> Path:
    """The migrations directory: the installed package's, else the checkout's top-level alembic/."""
    for candidate in _LOCATIONS:
        if (candidate / "env.py").is_file():
            return candidate
    raise StoreError("the database migrations were not found beside the watcher package",
                     hint="reinstall watcher (`pip install .` from its checkout, or its wheel)")


def alembic_config(url: str) -> Config:
    """An Alembic Config for ``url``; env.py reads the URL from ``attributes['url']``."""
    from alembic.config import Config

    config = Config()
    # ConfigParser would read a '%' in the path as interpolation.
    config.set_main_option("script_location", str(script_location()).replace("%", "%%"))
    config.attributes["url"] = url
    return config


def head_revision() -> str:
    """The newest revision in the migrations directory."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:
        raise StoreError("the alembic/ directory holds no migrations")
    return head


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision`` (head), creating a SQLite file's directory if needed."""
    from alembic import command

    path = sqlite_path(parse_url(url))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    _run(command.upgrade, url, revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at ``url`` down to ``revision`` ('base' drops every table)."""
    from alembic import command

    _run(command.downgrade, url, revision)


def _run(step: Callable[[Config, str], None], url: str, revision: str) -> None:
    try:
        step(alembic_config(url), revision)
    except exc.OperationalError as e:
        raise StoreError(f"migration failed: {str(e.orig).strip().splitlines()[0]}",
                         hint="database unreachable or locked: check WATCHER_DATABASE_URL") from e
    except exc.SQLAlchemyError as e:
        raise StoreError(f"migration failed: {e}", hint="check the database and the migration history") from e
