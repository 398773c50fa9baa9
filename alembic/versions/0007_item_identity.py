"""Items keep their content identity, unique within their source.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

A feed that appends a changing parameter to every link (``?v=123``) gave each item a new key on every poll,
so it was stored again each time. ``items.identity`` holds, for an item whose link has parameters, the hash
of its page (the link without them), title and date, or title and text when it has no date
(watcher.parse.identity.content_identity);
the unique index on (source_id, identity) makes the store skip an item its source has stored under a link
that differs only by its parameters, and the source's recent identities join the poll's "known keys".
Items stored before this revision have no identity (their date may have been the fetch time, so it cannot
be rebuilt); NULLs never conflict. Set watcher.store.schema.SCHEMA_REVISION to the newest revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add items.identity and the unique index ix_items_source_id_identity."""
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("identity", sa.String(length=32), nullable=True))
    op.create_index(op.f("ix_items_source_id_identity"), "items", ["source_id", "identity"], unique=True)


def downgrade() -> None:
    """Drop the index and the column."""
    op.drop_index(op.f("ix_items_source_id_identity"), table_name="items")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("identity")
