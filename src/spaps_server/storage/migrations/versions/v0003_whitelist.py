"""Whitelisted e-mail addresses, one row per (application, address)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from spaps_server.storage.types import UTCDateTime

revision = "0003"
down_revision: str | None = "0002"


def upgrade() -> None:
    """Create ``whitelist_entries`` (a snapshot definition, independent of tables.py)."""
    conn = op.get_bind()
    md = sa.MetaData()
    # Only the referenced key of ``applications`` (created by version 1), for the foreign key.
    sa.Table("applications", md, sa.Column("id", sa.String(64), primary_key=True))
    entries = sa.Table(
        "whitelist_entries",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "application_id",
            sa.String(64),
            sa.ForeignKey("applications.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.Column("bypass_payment", sa.Boolean, nullable=False),
        sa.Column("metadata", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.UniqueConstraint("application_id", "email", name="uq_whitelist_entries_app_email"),
        sa.Index("ix_whitelist_entries_app_tier", "application_id", "tier"),
    )
    md.create_all(conn, tables=[entries])
