"""Deliveries to channels beside mail: a delivery's kind, and recipients as long as a channel URL.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

A digest may name chat and webhook channels (``notify:``, apprise URLs) besides mail addresses; each is one more
recipient of a period, delivered through the same outbox, claim and retry rules. ``deliveries.kind`` says which
(``mail`` or ``channel``; existing rows are mail), and ``deliveries.recipient`` becomes text: a channel's URL as
written (with ``{env:NAME}`` placeholders, never a secret) may be longer than a mail address's 320 characters.
Set watcher.store.schema.SCHEMA_REVISION to the newest revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add deliveries.kind (checked: mail or channel) and make deliveries.recipient text."""
    with op.batch_alter_table("deliveries") as batch:  # SQLite changes a column by copying the table
        batch.add_column(sa.Column("kind", sa.String(length=10), server_default="mail", nullable=False))
        batch.alter_column("recipient", existing_type=sa.String(length=320), type_=sa.Text(), existing_nullable=False)
        batch.create_check_constraint(op.f("ck_deliveries_kind"), "kind IN ('mail', 'channel')")


def downgrade() -> None:
    """Drop the channel deliveries (mail cannot carry them), then deliveries.kind; recipients back to 320 characters."""
    op.execute(sa.text("DELETE FROM deliveries WHERE kind = 'channel'"))
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint(op.f("ck_deliveries_kind"), type_="check")
        batch.drop_column("kind")
        batch.alter_column("recipient", existing_type=sa.Text(), type_=sa.String(length=320), existing_nullable=False)
