"""Users, their wallets, sessions, refresh tokens, one-time tokens (magic links,
password resets, e-mail confirmations) and wallet sign-in nonces."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from spaps_server.storage.types import UTCDateTime

revision = "0002"
down_revision: str | None = "0001"


def _app_fk() -> sa.Column[str]:
    return sa.Column(
        "application_id",
        sa.String(64),
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def upgrade() -> None:
    """Create the auth tables (snapshot definitions, independent of tables.py)."""
    conn = op.get_bind()
    md = sa.MetaData()
    # Reflect the parent so the foreign keys resolve inside this MetaData.
    sa.Table("applications", md, sa.Column("id", sa.String(64), primary_key=True))
    sa.Table(
        "users",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        _app_fk(),
        # Lower-cased; NULL for wallet-only users (NULLs never clash in a UNIQUE constraint).
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("username", sa.String(100), nullable=True),
        sa.Column("phone_number", sa.String(64), nullable=True),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("email_confirmed", sa.Boolean, nullable=False),
        sa.Column("metadata", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("last_sign_in_at", UTCDateTime, nullable=True),
        sa.UniqueConstraint("application_id", "email", name="uq_users_application_email"),
    )
    sa.Table(
        "user_wallets",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        _app_fk(),
        sa.Column(
            "user_id",
            sa.String(64),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("wallet_address", sa.String(128), nullable=False),
        sa.Column("chain_type", sa.String(32), nullable=False),
        sa.Column("verified", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint(
            "application_id", "chain_type", "wallet_address", name="uq_user_wallets_address"
        ),
    )
    sa.Table(
        "sessions",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        _app_fk(),
        sa.Column(
            "user_id",
            sa.String(64),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("auth_method", sa.String(32), nullable=False),
        sa.Column("user_agent", sa.Text, nullable=True),
        sa.Column("ip_address", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_activity_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
        sa.Column("revoked_reason", sa.String(64), nullable=True),
    )
    sa.Table(
        "refresh_tokens",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        _app_fk(),
        sa.Column(
            "session_id",
            sa.String(64),
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=True),
    )
    sa.Table(
        "one_time_tokens",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        _app_fk(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "user_id",
            sa.String(64),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=True,
            index=True,
        ),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=True),
    )
    sa.Table(
        "wallet_nonces",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        _app_fk(),
        sa.Column("wallet_address", sa.String(128), nullable=False),
        sa.Column("chain_type", sa.String(32), nullable=False),
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        # SHA-256 of the exact message text: the lookup key on sign-in.
        sa.Column("message_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=True),
    )
    for table in md.sorted_tables:
        if table.name != "applications":
            table.create(conn)
