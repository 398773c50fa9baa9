"""A delivery's claim in columns of its own, apart from its next attempt.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

A sender used to claim a delivery by moving its next_attempt_at past the SMTP conversation, so "claimed by a
process that is sending it" and "waiting for its backoff" looked the same. A manual `watcher digest --send`
must retry what waits for its backoff at once, and never what another process is sending: the claim gets its
own columns. Set watcher.store.schema.SCHEMA_REVISION to the newest revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add deliveries.claimed_by and deliveries.claimed_until."""
    op.add_column("deliveries", sa.Column("claimed_by", sa.String(length=200), nullable=True))
    op.add_column("deliveries", sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the claim columns."""
    with op.batch_alter_table("deliveries") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
