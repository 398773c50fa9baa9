"""Service state: leases and runtime facts shared by `watcher run` processes; due-time index on sources.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-29

``service_state`` holds one row per key: each running instance's heartbeat and the watchlist it has in
force (with the last reload error), a reload request, and short leases (digest closing) that expire when
their holder dies. Set watcher.store.schema.SCHEMA_REVISION to the newest revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create service_state and index sources by due time."""
    op.create_table(
        "service_state",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_service_state")),
    )
    op.create_index(op.f("ix_sources_next_due_at"), "sources", ["next_due_at"])


def downgrade() -> None:
    """Drop service_state and the due-time index."""
    op.drop_index(op.f("ix_sources_next_due_at"), table_name="sources")
    op.drop_table("service_state")
