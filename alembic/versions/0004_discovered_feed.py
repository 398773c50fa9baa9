"""Discovered feeds: the feed URL found on a `site:` source's page, remembered between polls.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

``sources.feed_url`` is empty for sources whose feed is configured; for a site it holds the feed found by
discovery, which is tried first on every poll and rediscovered when it breaks. Set
watcher.store.schema.SCHEMA_REVISION to the newest revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add sources.feed_url."""
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("feed_url", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop sources.feed_url."""
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("feed_url")
