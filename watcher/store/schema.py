"""The database schema as SQLAlchemy Core tables: Alembic's target and the store's vocabulary.

Alembic owns the schema (``alembic/versions``); this module must describe the same thing, which
``tests/test_migrations.py`` checks with ``compare_metadata``. ``SCHEMA_REVISION`` is the Alembic
head this code expects: :meth:`Store.open` refuses any other.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.types import TypeDecorator

SCHEMA_REVISION = "0009"

# Named constraints make SQLite and PostgreSQL reflect the same names, so migrations can drop them.
metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; stored as UTC (SQLite keeps no zone, so the zone is re-attached)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            # A naive datetime is a bug upstream: guessing its zone would shift items by hours.
            raise ValueError(f"naive datetime {value.isoformat()} given to the store: pass an aware UTC datetime")
        value = value.astimezone(UTC)
        # SQLite stores text; dropping the zone keeps the fixed-width format that sorts correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


# Items and matches may grow by millions a day: 64-bit ids on PostgreSQL. SQLite's INTEGER is already
# 64-bit, and only the exact type INTEGER makes a column the rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")

sources = Table(
    "sources", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("url", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("created_at", UTCDateTime, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_attempt_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("consecutive_failures", Integer, nullable=False, server_default=text("0")),
    Column("total_items", Integer, nullable=False, server_default=text("0")),
    Column("newest_item_at", UTCDateTime),
    Column("next_due_at", UTCDateTime, index=True),
    # For the scale-out work: a worker leases a source so two workers never poll it at once.
    Column("lease_owner", String(200)),
    Column("lease_until", UTCDateTime),
    Column("disabled_reason", Text),
    Column("moved_to", Text),  # target of a permanent redirect, until the watchlist is updated
    Column("feed_url", Text),  # the feed discovered on a `site:` source's page
    Column("feed_title", Text),  # the feed's own title, as its last document gave it: the outlet's name in digests
)

items = Table(
    "items", metadata,
    Column("id", BigId, primary_key=True),
    # Keys are canonical URLs of any length: uniqueness is enforced on their SHA-256, which fits any index.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("key", Text, nullable=False),
    Column("source_id", ForeignKey("sources.id"), nullable=False),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("link", Text),
    Column("guid", Text),
    Column("author", Text),
    Column("publisher", Text),
    Column("language", String(35)),
    Column("summary_html", Text),
    Column("published_at", UTCDateTime, nullable=False),
    Column("first_seen_at", UTCDateTime, nullable=False, index=True),
    Column("identity", String(32)),  # Item.identity: the same item of a source under a link that changed
    # One feed's items sit together (a poll's inserts touch few pages), and a source's newest are read from it.
    Index(None, "source_id", "published_at"),
    Index(None, "source_id", "identity", unique=True),
)

matches = Table(
    "matches", metadata,
    Column("id", BigId, primary_key=True),
    Column("item_id", BigId, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("entry_id", String(200), nullable=False),
    Column("field", String(20), nullable=False),
    Column("text", Text, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("snippet", Text, nullable=False),
    Column("rule", String(50), nullable=False),
    Column("found_at", UTCDateTime, nullable=False, index=True),
    # The item's publication date as history counts it (watcher.models.publication_date), kept beside each match:
    # a digest's history (counts per period, last mentions, pairings) is then read from this table's index alone.
    Column("dated_at", UTCDateTime, nullable=False),
    UniqueConstraint("item_id", "entry_id", "field", "start"),
    Index(None, "entry_id", "found_at"),
    Index(None, "entry_id", "dated_at", "found_at"),
)

digest_periods = Table(
    "digest_periods", metadata,
    Column("id", Integer, primary_key=True),
    Column("digest_id", String(200), nullable=False),
    Column("period_start", UTCDateTime, nullable=False),
    Column("period_end", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("digest_id", "period_end"),
)

deliveries = Table(
    "deliveries", metadata,
    Column("id", Integer, primary_key=True),
    Column("period_id", ForeignKey("digest_periods.id", ondelete="CASCADE"), nullable=False),
    # A mail address, or a channel's URL as written (its secrets are {env:NAME} placeholders, never their values).
    Column("recipient", Text, nullable=False),
    Column("kind", String(10), nullable=False, server_default="mail"),  # mail or channel
    Column("status", String(10), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", UTCDateTime),
    Column("last_error", Text),
    Column("sent_at", UTCDateTime),
    Column("message", LargeBinary, nullable=False),
    # The process sending it, until when: a claim that runs out (its holder died) lets another process retry.
    Column("claimed_by", String(200)),
    Column("claimed_until", UTCDateTime),
    UniqueConstraint("period_id", "recipient"),
    CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
    CheckConstraint("kind IN ('mail', 'channel')", name="kind"),
    Index(None, "status", "next_attempt_at"),
)

# Runtime facts shared by service processes (heartbeats, watchlist in force, reload requests) and short leases.
service_state = Table(
    "service_state", metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text),  # JSON
    Column("owner", String(200)),
    Column("lease_until", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)
