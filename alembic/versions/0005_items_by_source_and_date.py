"""Items indexed by (source, publication time) instead of by each alone.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

A poll inserts a feed's items at scattered places of an index on published_at alone, and every commit
rewrites those pages: a third of the cost of storing items. The composite index keeps one feed's items
together, still serves the foreign key (its first column) and answers "a source's newest items" (the
scheduler's item_times) from the index alone. Set watcher.store.schema.SCHEMA_REVISION to the newest revision.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Replace ix_items_published_at and ix_items_source_id with ix_items_source_id_published_at."""
    op.create_index(op.f("ix_items_source_id_published_at"), "items", ["source_id", "published_at"])
    op.drop_index(op.f("ix_items_published_at"), table_name="items")
    op.drop_index(op.f("ix_items_source_id"), table_name="items")


def downgrade() -> None:
    """Restore the two single-column indexes."""
    op.create_index(op.f("ix_items_source_id"), "items", ["source_id"])
    op.create_index(op.f("ix_items_published_at"), "items", ["published_at"])
    op.drop_index(op.f("ix_items_source_id_published_at"), table_name="items")
