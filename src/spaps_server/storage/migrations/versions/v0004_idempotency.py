"""Idempotency keys, one row per (application, caller, key)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from spaps_server.storage.types import UTCDateTime

revision = "0004"
down_revision: str | None = "0003"


def upgrade() -> None:
    """Create ``idempotency_keys`` (a snapshot definition, independent of tables.py)."""
    conn = op.get_bind()
    md = sa.MetaData()
    # Only the referenced key of ``applications`` (created by version 1), for the foreign key.
    sa.Table("applications", md, sa.Column("id", sa.String(64), primary_key=True))
    keys = sa.Table(
        "idempotency_keys",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "application_id",
            sa.String(64),
            sa.ForeignKey("applications.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("caller", sa.String(128), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claim_token", sa.String(64), nullable=False),
        sa.Column("locked_until", UTCDateTime, nullable=False),
        sa.Column("response_status", sa.Integer, nullable=True),
        sa.Column("response_body", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint(
            "application_id", "caller", "idempotency_key", name="uq_idempotency_keys_scope"
        ),
    )
    md.create_all(conn, tables=[keys])
