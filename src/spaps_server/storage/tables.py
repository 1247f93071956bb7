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


def _app_fk() -> sa.Column[str]:
    return sa.Column(
        "application_id",
        sa.String(64),
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _app_fk(),
    sa.Column("email", sa.String(320), nullable=True),  # lower-cased; NULL: wallet-only
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

user_wallets = sa.Table(
    "user_wallets",
    metadata,
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

sessions = sa.Table(
    "sessions",
    metadata,
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

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
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

one_time_tokens = sa.Table(
    "one_time_tokens",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _app_fk(),
    sa.Column("kind", sa.String(32), nullable=False),  # magic_link/password_reset/...
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

wallet_nonces = sa.Table(
    "wallet_nonces",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _app_fk(),
    sa.Column("wallet_address", sa.String(128), nullable=False),
    sa.Column("chain_type", sa.String(32), nullable=False),
    sa.Column("nonce", sa.String(128), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("message_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime, nullable=True),
)

whitelist_entries = sa.Table(
    "whitelist_entries",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column(
        "application_id",
        sa.String(64),
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # Always lower-case (``services.whitelist.normalize_email``); unique per application.
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("tier", sa.String(64), nullable=False),
    sa.Column("bypass_payment", sa.Boolean, nullable=False),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # The administrator's user id, or "seed" for entries from a seed file.
    sa.Column("created_by", sa.String(64), nullable=True),
    sa.UniqueConstraint("application_id", "email", name="uq_whitelist_entries_app_email"),
    sa.Index("ix_whitelist_entries_app_tier", "application_id", "tier"),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column(
        "application_id",
        sa.String(64),
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # Who sent the request: a user id, or a fixed name for API-key-only routes.
    sa.Column("caller", sa.String(128), nullable=False),
    sa.Column("idempotency_key", sa.String(255), nullable=False),
    # SHA-256 of method, path and canonical body: the same key with another request is refused.
    sa.Column("request_hash", sa.String(64), nullable=False),
    # "in_progress" while the first request runs, then "completed" with the stored response.
    sa.Column("state", sa.String(16), nullable=False),
    # A random value per claim, so a request whose lease was taken over cannot complete.
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
