"""Initial schema: sources, items, matches, digest periods and deliveries.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Set watcher.store.schema.SCHEMA_REVISION to the newest revision: Store.open accepts only that one.
Migrations spell their types out instead of importing watcher.store.schema, which moves on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # INTEGER alone makes SQLite's rowid alias


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create every table of the first release."""
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", _utc(), nullable=True),
        sa.Column("last_success_at", _utc(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_items", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("newest_item_at", _utc(), nullable=True),
        sa.Column("next_due_at", _utc(), nullable=True),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_until", _utc(), nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("moved_to", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_sources_name")),
    )
    op.create_table(
        "items",
        sa.Column("id", BigId, nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("guid", sa.Text(), nullable=True),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("publisher", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("summary_html", sa.Text(), nullable=True),
        sa.Column("published_at", _utc(), nullable=False),
        sa.Column("first_seen_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name=op.f("fk_items_source_id_sources")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_items_key_hash")),
    )
    op.create_index(op.f("ix_items_first_seen_at"), "items", ["first_seen_at"])
    op.create_index(op.f("ix_items_published_at"), "items", ["published_at"])
    op.create_index(op.f("ix_items_source_id"), "items", ["source_id"])
    op.create_table(
        "matches",
        sa.Column("id", BigId, nullable=False),
        sa.Column("item_id", BigId, nullable=False),
        sa.Column("entry_id", sa.String(length=200), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("snippet", sa.Text(), nullable=False),
        sa.Column("rule", sa.String(length=50), nullable=False),
        sa.Column("found_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_matches_item_id_items"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matches")),
        sa.UniqueConstraint("item_id", "entry_id", "field", "start",
                            name=op.f("uq_matches_item_id_entry_id_field_start")),
    )
    op.create_index(op.f("ix_matches_found_at"), "matches", ["found_at"])
    op.create_index(op.f("ix_matches_entry_id_found_at"), "matches", ["entry_id", "found_at"])
    op.create_table(
        "digest_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest_id", sa.String(length=200), nullable=False),
        sa.Column("period_start", _utc(), nullable=False),
        sa.Column("period_end", _utc(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_periods")),
        sa.UniqueConstraint("digest_id", "period_end", name=op.f("uq_digest_periods_digest_id_period_end")),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", _utc(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", _utc(), nullable=True),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name=op.f("ck_deliveries_status")),
        sa.ForeignKeyConstraint(["period_id"], ["digest_periods.id"],
                                name=op.f("fk_deliveries_period_id_digest_periods"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("period_id", "recipient", name=op.f("uq_deliveries_period_id_recipient")),
    )
    op.create_index(op.f("ix_deliveries_status_next_attempt_at"), "deliveries", ["status", "next_attempt_at"])


def downgrade() -> None:
    """Drop every table (and its indexes) of the first release."""
    for table in ("deliveries", "digest_periods", "matches", "items", "sources"):
        op.drop_table(table)
