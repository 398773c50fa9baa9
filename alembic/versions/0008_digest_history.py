"""What digests need of each source and match: the outlet's own name, and each match's publication date.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

``sources.feed_title`` holds the title of the source's last document (a feed's <title>); digests name the
outlet by it unless the watchlist gives a display name. It stays empty until the next poll brings a document.

``matches.dated_at`` is the publication date of the match's item as digests count history by it (its date, or
when it was first seen when the date is later or absurd: watcher.models.publication_date), so counts per
period, last mentions and pairings are read from an index on matches alone. Existing matches take it from
their items. Set watcher.store.schema.SCHEMA_REVISION to the newest revision.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# watcher.models.EARLIEST_PUBLISHED, as it was when this revision was written (a migration never imports the app).
EARLIEST_PUBLISHED = datetime(1995, 1, 1, tzinfo=UTC)


def upgrade() -> None:
    """Add sources.feed_title and matches.dated_at (filled from the items), indexed with entry_id and found_at."""
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("feed_title", sa.Text(), nullable=True))
    with op.batch_alter_table("matches") as batch:
        batch.add_column(sa.Column("dated_at", sa.DateTime(timezone=True), nullable=True))
    earliest = EARLIEST_PUBLISHED if op.get_bind().dialect.name != "sqlite" else EARLIEST_PUBLISHED.replace(tzinfo=None)
    op.execute(sa.text(
        "UPDATE matches SET dated_at = (SELECT CASE WHEN items.published_at > items.first_seen_at "
        "OR items.published_at < :earliest THEN items.first_seen_at ELSE items.published_at END "
        "FROM items WHERE items.id = matches.item_id)").bindparams(earliest=earliest))
    with op.batch_alter_table("matches") as batch:
        batch.alter_column("dated_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    op.create_index(op.f("ix_matches_entry_id_dated_at_found_at"), "matches", ["entry_id", "dated_at", "found_at"])


def downgrade() -> None:
    """Drop matches.dated_at with its index, and sources.feed_title."""
    op.drop_index(op.f("ix_matches_entry_id_dated_at_found_at"), table_name="matches")
    with op.batch_alter_table("matches") as batch:
        batch.drop_column("dated_at")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("feed_title")
