"""Webhook secrets, endpoints, events (the outbox), deliveries and attempts."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from spaps_server.storage.types import UTCDateTime

revision = "0007"
down_revision: str | None = "0006"


def upgrade() -> None:
    """Create the webhook tables (snapshot definitions, independent of tables.py)."""
    conn = op.get_bind()
    md = sa.MetaData()
    # Only the referenced key of ``applications`` (created by version 1), for the foreign keys.
    sa.Table("applications", md, sa.Column("id", sa.String(64), primary_key=True))

    def app_fk() -> sa.Column[str]:
        return sa.Column(
            "application_id",
            sa.String(64),
            sa.ForeignKey("applications.id", ondelete="CASCADE"),
            nullable=False,
        )

    created = [
        sa.Table(
            "webhook_secrets",
            md,
            sa.Column(
                "application_id",
                sa.String(64),
                sa.ForeignKey("applications.id", ondelete="CASCADE"),
                primary_key=True,
            ),
            sa.Column("secret", sa.String(128), nullable=False),
            sa.Column("created_at", UTCDateTime, nullable=False),
        ),
        sa.Table(
            "webhook_endpoints",
            md,
            sa.Column("id", sa.String(64), primary_key=True),
            app_fk(),
            sa.Column("url", sa.String(2048), nullable=False),
            sa.Column("description", sa.String(500), nullable=True),
            sa.Column("created_at", UTCDateTime, nullable=False),
            sa.Column("removed_at", UTCDateTime, nullable=True),
            sa.UniqueConstraint("application_id", "url", name="uq_webhook_endpoints_app_url"),
        ),
        sa.Table(
            "webhook_events",
            md,
            sa.Column("id", sa.String(64), primary_key=True),
            app_fk(),
            sa.Column("type", sa.String(100), nullable=False),
            sa.Column("schema_version", sa.Integer, nullable=False),
            sa.Column("data", sa.JSON, nullable=False),
            sa.Column("payload", sa.Text, nullable=False),
            sa.Column("created_at", UTCDateTime, nullable=False),
            sa.Index("ix_webhook_events_app_created", "application_id", "created_at"),
        ),
        sa.Table(
            "webhook_deliveries",
            md,
            sa.Column("id", sa.String(64), primary_key=True),
            sa.Column(
                "event_id",
                sa.String(64),
                sa.ForeignKey("webhook_events.id", ondelete="CASCADE"),
                nullable=False,
                index=True,
            ),
            sa.Column(
                "endpoint_id",
                sa.String(64),
                sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
                nullable=False,
                index=True,
            ),
            app_fk(),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("attempt_count", sa.Integer, nullable=False),
            sa.Column("next_attempt_at", UTCDateTime, nullable=True),
            sa.Column("claim_token", sa.String(64), nullable=True),
            sa.Column("claim_until", UTCDateTime, nullable=True),
            sa.Column("created_at", UTCDateTime, nullable=False),
            sa.Column("updated_at", UTCDateTime, nullable=False),
            sa.Column("completed_at", UTCDateTime, nullable=True),
            sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        ),
        sa.Table(
            "webhook_attempts",
            md,
            sa.Column("id", sa.String(64), primary_key=True),
            sa.Column(
                "delivery_id",
                sa.String(64),
                sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
                nullable=False,
            ),
            sa.Column("attempt_number", sa.Integer, nullable=False),
            sa.Column("started_at", UTCDateTime, nullable=False),
            sa.Column("succeeded", sa.Boolean, nullable=False),
            sa.Column("status_code", sa.Integer, nullable=True),
            sa.Column("latency_ms", sa.Integer, nullable=False),
            sa.Column("response_snippet", sa.Text, nullable=True),
            sa.Column("error", sa.Text, nullable=True),
            sa.UniqueConstraint("delivery_id", "attempt_number", name="uq_webhook_attempts_number"),
        ),
    ]
    md.create_all(conn, tables=created)
