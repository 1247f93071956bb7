"""The current schema as SQLAlchemy Core tables, used by the repositories for queries.

The DDL that creates these tables lives in versioned migrations
(``spaps_server.storage.migrations``); a test checks that the migrated database matches this
module, so a change here needs a migration in the same commit.
"""

from __future__ import annotations

import sqlalchemy as sa

from .types import UTCDateTime

metadata = sa.MetaData()

schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)

applications = sa.Table(
    "applications",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("is_default", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column(
        "application_id",
        sa.String(64),
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(32), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
)

mail_outbox = sa.Table(
    "mail_outbox",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column(
        "application_id",
        sa.String(64),
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        nullable=True,
        index=True,
    ),
    sa.Column("to_address", sa.String(320), nullable=False, index=True),
    sa.Column("from_address", sa.String(320), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("text_body", sa.Text, nullable=False),
    sa.Column("html_body", sa.Text, nullable=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False, index=True),
    sa.Column("delivered_at", UTCDateTime, nullable=True),
    sa.Column("delivery_error", sa.Text, nullable=True),
)
