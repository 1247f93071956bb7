"""Per-application redirect origins for e-mailed links, and rate-limit buckets
shared by every server process on one database."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from spaps_server.storage.types import UTCDateTime

revision = "0009"
down_revision: str | None = "0008"


def upgrade() -> None:
    """Create ``application_redirect_origins`` and ``rate_limit_buckets`` (snapshot
    definitions, independent of tables.py)."""
    conn = op.get_bind()
    md = sa.MetaData()
    # Only the referenced key of ``applications`` (created by version 1), for the foreign key.
    sa.Table("applications", md, sa.Column("id", sa.String(64), primary_key=True))
    origins = sa.Table(
        "application_redirect_origins",
        md,
        sa.Column(
            "application_id",
            sa.String(64),
            sa.ForeignKey("applications.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("origin", sa.String(300), primary_key=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    buckets = sa.Table(
        "rate_limit_buckets",
        md,
        sa.Column("bucket", sa.String(64), primary_key=True),
        sa.Column("subject_hash", sa.String(64), primary_key=True),
        sa.Column("window_start_ms", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("expires_at_ms", sa.BigInteger, nullable=False, index=True),
        sa.Column("count", sa.Integer, nullable=False),
    )
    md.create_all(conn, tables=[origins, buckets])
