"""A source's feed title: the name digests show for the outlet, unless the watchlist gives one.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-10

``sources.feed_title`` holds the title of the source's last document (a feed's <title>, an Atom feed's
title); it stays empty until the next poll brings a document. Set watcher.store.schema.SCHEMA_REVISION to
the newest revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add sources.feed_title."""
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("feed_title", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop sources.feed_title."""
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("feed_title")
