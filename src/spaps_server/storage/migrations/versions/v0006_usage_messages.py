"""Usage metering (features per tier, per-period counters, records) and secure
messages (ciphertexts only; keys live outside the database)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from spaps_server.storage.types import UTCDateTime

revision = "0006"
down_revision: str | None = "0005"


def upgrade() -> None:
    """Create the usage and secure-message tables (snapshots, independent of tables.py)."""
    conn = op.get_bind()
    md = sa.MetaData()
    # Only the referenced keys of tables created by earlier versions, for the foreign keys.
    sa.Table("applications", md, sa.Column("id", sa.String(64), primary_key=True))

    def app_fk() -> sa.Column[str]:
        return sa.Column(
            "application_id",
            sa.String(64),
            sa.ForeignKey("applications.id", ondelete="CASCADE"),
            nullable=False,
        )

    settings = sa.Table(
        "usage_settings",
        md,
        sa.Column(
            "application_id",
            sa.String(64),
            sa.ForeignKey("applications.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("defaults_applied_at", UTCDateTime, nullable=False),
    )
    features = sa.Table(
        "usage_features",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        app_fk(),
        sa.Column("feature", sa.String(64), nullable=False),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("limit_value", sa.Float, nullable=True),
        sa.Column("overage", sa.String(16), nullable=False),
        sa.Column("overage_unit_price", sa.Float, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("application_id", "feature", "tier", name="uq_usage_features_key"),
    )
    counters = sa.Table(
        "usage_counters",
        md,
        app_fk(),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("feature", sa.String(64), nullable=False),
        sa.Column("period_start", UTCDateTime, nullable=False),
        sa.Column("period_end", UTCDateTime, nullable=False),
        sa.Column("used", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint(
            "application_id", "user_id", "feature", "period_start", name="pk_usage_counters"
        ),
    )
    records = sa.Table(
        "usage_records",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        app_fk(),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("feature", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Float, nullable=False),
        sa.Column("overage_quantity", sa.Float, nullable=False),
        sa.Column("cost", sa.Float, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.Column("recorded_on", sa.String(10), nullable=False),
        sa.Column("period_start", UTCDateTime, nullable=False),
        sa.Column("metadata", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Index("ix_usage_records_user_day", "application_id", "user_id", "recorded_on"),
    )
    messages = sa.Table(
        "secure_messages",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        app_fk(),
        sa.Column("sender_id", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(128), nullable=False),
        sa.Column("practitioner_id", sa.String(128), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("nonce", sa.LargeBinary, nullable=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Index("ix_secure_messages_app_created", "application_id", "created_at"),
        sa.Index("ix_secure_messages_key", "key_id"),
    )
    md.create_all(conn, tables=[settings, features, counters, records, messages])
