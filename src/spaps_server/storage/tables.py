"""The current schema as SQLAlchemy Core tables, used by the repositories for queries.

The DDL that creates these tables lives in the Alembic revisions of
``spaps_server.storage.migrations``; a test compares the migrated database with this module
(Alembic's ``compare_metadata``), so a change here needs a revision in the same commit.
"""

from __future__ import annotations

import sqlalchemy as sa

from .types import UTCDateTime

metadata = sa.MetaData()

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
    # Always lower-case (``domain.emails.normalize_email``); unique per application.
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

# --- payments (products, prices, checkout sessions, subscriptions, charges) ----------------

payment_customers = sa.Table(
    "payment_customers",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _app_fk(),
    sa.Column(
        "user_id", sa.String(64), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("base_tier", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("application_id", "user_id", name="uq_payment_customers_user"),
)

products = sa.Table(
    "products",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _app_fk(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("category", sa.String(64), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("images", sa.JSON, nullable=False),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("default_price_id", sa.String(64), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

prices = sa.Table(
    "prices",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _app_fk(),
    sa.Column(
        "product_id",
        sa.String(64),
        sa.ForeignKey("products.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("unit_amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("interval", sa.String(8), nullable=True),
    sa.Column("interval_count", sa.Integer, nullable=False),
    sa.Column("nickname", sa.String(200), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

checkout_sessions = sa.Table(
    "checkout_sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _app_fk(),
    sa.Column(
        "user_id", sa.String(64), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    ),
    sa.Column("is_guest", sa.Boolean, nullable=False),
    sa.Column("customer_email", sa.String(320), nullable=True),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("payment_status", sa.String(32), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("amount_total", sa.BigInteger, nullable=False),
    sa.Column("line_items", sa.JSON, nullable=False),
    sa.Column("success_url", sa.Text, nullable=False),
    sa.Column("cancel_url", sa.Text, nullable=False),
    sa.Column("client_reference_id", sa.String(200), nullable=True),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("payment_intent_id", sa.String(64), nullable=True),
    sa.Column("subscription_id", sa.String(64), nullable=True),
    sa.Column("pending_authentication", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("completed_at", UTCDateTime, nullable=True),
    sa.Index("ix_checkout_sessions_app_user", "application_id", "user_id", "created_at"),
    sa.Index("ix_checkout_sessions_app_status", "application_id", "status", "expires_at"),
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _app_fk(),
    sa.Column(
        "user_id",
        sa.String(64),
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=True,
        index=True,
    ),
    sa.Column("customer_email", sa.String(320), nullable=True),
    sa.Column("customer_id", sa.String(64), nullable=True),
    sa.Column("item_id", sa.String(64), nullable=False),
    sa.Column("price_id", sa.String(64), nullable=False),
    sa.Column("product_id", sa.String(64), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("current_period_start", UTCDateTime, nullable=False),
    sa.Column("current_period_end", UTCDateTime, nullable=False),
    sa.Column("cancel_at_period_end", sa.Boolean, nullable=False),
    sa.Column("canceled_at", UTCDateTime, nullable=True),
    sa.Column("ended_at", UTCDateTime, nullable=True),
    sa.Column("checkout_session_id", sa.String(64), nullable=True),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _app_fk(),
    sa.Column(
        "user_id", sa.String(64), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    ),
    sa.Column("customer_email", sa.String(320), nullable=True),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("payment_method_type", sa.String(32), nullable=False),
    sa.Column("card_brand", sa.String(32), nullable=True),
    sa.Column("card_last4", sa.String(4), nullable=True),
    sa.Column("failure_code", sa.String(64), nullable=True),
    sa.Column("invoice_id", sa.String(64), nullable=True, unique=True),
    sa.Column("checkout_session_id", sa.String(64), nullable=True, index=True),
    sa.Column("subscription_id", sa.String(64), nullable=True),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_payments_app_user_created", "application_id", "user_id", "created_at"),
)

# Usage metering: which features each tier of an application may use and how much, one
# counter per (user, feature, billing period) moved only by conditional UPDATEs, and the
# records themselves (``recorded_on`` is the UTC date, for grouping by day in SQL).
usage_settings = sa.Table(
    "usage_settings",
    metadata,
    sa.Column(
        "application_id",
        sa.String(64),
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("defaults_applied_at", UTCDateTime, nullable=False),
)

usage_features = sa.Table(
    "usage_features",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column(
        "application_id",
        sa.String(64),
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("feature", sa.String(64), nullable=False),
    sa.Column("tier", sa.String(64), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("limit_value", sa.Float, nullable=True),  # NULL: unlimited
    sa.Column("overage", sa.String(16), nullable=False),  # "reject" or "allow"
    sa.Column("overage_unit_price", sa.Float, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("application_id", "feature", "tier", name="uq_usage_features_key"),
)

usage_counters = sa.Table(
    "usage_counters",
    metadata,
    sa.Column(
        "application_id",
        sa.String(64),
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("feature", sa.String(64), nullable=False),
    sa.Column("period_start", UTCDateTime, nullable=False),
    sa.Column("period_end", UTCDateTime, nullable=False),
    sa.Column("used", sa.Float, nullable=False),
    sa.PrimaryKeyConstraint(
        "application_id", "user_id", "feature", "period_start", name="pk_usage_counters"
    ),
)

usage_records = sa.Table(
    "usage_records",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column(
        "application_id",
        sa.String(64),
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        nullable=False,
    ),
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

# Secure messages: the content (and metadata) only as AES-256-GCM ciphertext; ``key_id``
# names the key of the ring (outside the database) that sealed it.
secure_messages = sa.Table(
    "secure_messages",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column(
        "application_id",
        sa.String(64),
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        nullable=False,
    ),
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

# Webhooks (migration 7): per-application signing secrets, endpoints, the event outbox, one
# delivery per (event, endpoint) and every attempt of it.
webhook_secrets = sa.Table(
    "webhook_secrets",
    metadata,
    sa.Column(
        "application_id",
        sa.String(64),
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("secret", sa.String(128), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column(
        "application_id",
        sa.String(64),
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("description", sa.String(500), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Removed endpoints stay for their deliveries' history; adding the URL again revives it.
    sa.Column("removed_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("application_id", "url", name="uq_webhook_endpoints_app_url"),
)

webhook_events = sa.Table(
    "webhook_events",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column(
        "application_id",
        sa.String(64),
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("type", sa.String(100), nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    # The envelope exactly as signed and sent, so every attempt and replay sends the same bytes.
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_webhook_events_app_created", "application_id", "created_at"),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
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
    sa.Column(
        "application_id",
        sa.String(64),
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("status", sa.String(16), nullable=False),  # pending/succeeded/failed
    sa.Column("attempt_count", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=True),
    # The lease of the worker attempting it: a random token and when the lease runs out (a
    # crashed worker's claim is taken again after that).
    sa.Column("claim_token", sa.String(64), nullable=True),
    sa.Column("claim_until", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("completed_at", UTCDateTime, nullable=True),
    sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)

webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
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
    # One row per attempt number: an attempt is recorded once, whichever process made it.
    sa.UniqueConstraint("delivery_id", "attempt_number", name="uq_webhook_attempts_number"),
)


def _application_fk() -> sa.Column[str]:
    return sa.Column(
        "application_id",
        sa.String(64),
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        nullable=False,
    )


# Crypto invoices. Amounts are canonical decimal strings (domain.crypto.format_amount).
crypto_invoices = sa.Table(
    "crypto_invoices",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _application_fk(),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("asset", sa.String(16), nullable=False),
    sa.Column("network", sa.String(32), nullable=False),
    sa.Column("amount", sa.String(40), nullable=False),
    sa.Column("received_amount", sa.String(40), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("beneficiary", sa.JSON, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("finalized_at", UTCDateTime, nullable=True),
    sa.Index("ix_crypto_invoices_app_status", "application_id", "status", "id"),
)

# On-chain transfers received for an invoice; their ids are the invoice's settlement ids.
crypto_invoice_payments = sa.Table(
    "crypto_invoice_payments",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column(
        "invoice_id",
        sa.String(64),
        sa.ForeignKey("crypto_invoices.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("amount", sa.String(40), nullable=False),
    sa.Column("transaction_hash", sa.String(128), nullable=False, unique=True),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Index("ix_crypto_invoice_payments_invoice", "invoice_id", "received_at"),
)

crypto_reconcile_jobs = sa.Table(
    "crypto_reconcile_jobs",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _application_fk(),
    sa.Column("scheduled_at", UTCDateTime, nullable=False),
    sa.Column("completed_at", UTCDateTime, nullable=False),
    sa.Column("last_invoice_id", sa.String(64), nullable=True),
    sa.Column("invoices_checked", sa.Integer, nullable=False),
    sa.Column("invoices_expired", sa.Integer, nullable=False),
    sa.Column("has_more", sa.Boolean, nullable=False),
)

# A chain transaction is deposited at most once per application (the unique constraint).
wallet_deposits = sa.Table(
    "wallet_deposits",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _application_fk(),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("wallet_address", sa.String(128), nullable=False),
    sa.Column("chain_type", sa.String(32), nullable=False),
    sa.Column("transaction_id", sa.String(128), nullable=False),
    sa.Column("amount", sa.String(40), nullable=False),
    sa.Column("currency", sa.String(16), nullable=False),
    sa.Column("tier", sa.String(64), nullable=True),
    sa.Column("confirmation_required", sa.Integer, nullable=False),
    # Confirmations added on /_dev/ on top of those the clock has mined.
    sa.Column("extra_confirmations", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("completed_at", UTCDateTime, nullable=True),
    sa.Column("balance_added", sa.String(40), nullable=True),
    sa.UniqueConstraint(
        "application_id", "transaction_id", name="uq_wallet_deposits_app_transaction"
    ),
    sa.Index("ix_wallet_deposits_app_user_status", "application_id", "user_id", "status"),
)

payment_intents = sa.Table(
    "payment_intents",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _application_fk(),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("payment_method_types", sa.JSON, nullable=False),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("client_secret", sa.String(128), nullable=False),
    sa.Column("payment_method_id", sa.String(64), nullable=True),
    sa.Column("decline_code", sa.String(64), nullable=True),
    sa.Column("decline_message", sa.String(255), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# Cards attached to an application's user; the partial unique index allows one default.
payment_methods = sa.Table(
    "payment_methods",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _application_fk(),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("payment_method_id", sa.String(64), nullable=False),
    sa.Column("brand", sa.String(32), nullable=False),
    sa.Column("last4", sa.String(4), nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint(
        "application_id", "user_id", "payment_method_id", name="uq_payment_methods_owner"
    ),
    sa.Index(
        "uq_payment_methods_one_default",
        "application_id",
        "user_id",
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    ),
)

# Credits to a user's dollar balance, one per source (a deposit or a payment intent).
balance_entries = sa.Table(
    "balance_entries",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _application_fk(),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("amount", sa.String(40), nullable=False),
    sa.Column("currency", sa.String(8), nullable=False),
    sa.Column("source_type", sa.String(32), nullable=False),
    sa.Column("source_id", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("source_type", "source_id", name="uq_balance_entries_source"),
    sa.Index("ix_balance_entries_app_user", "application_id", "user_id"),
)

# Origins (``scheme://host[:port]``, the port may be ``*``) an application's e-mailed links
# may point at, beyond the defaults every application has.
application_redirect_origins = sa.Table(
    "application_redirect_origins",
    metadata,
    sa.Column(
        "application_id",
        sa.String(64),
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("origin", sa.String(300), primary_key=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# Fixed-window attempt counters shared by every server process; the subject (an address or
# an account) is stored only as its SHA-256, and rows past ``expires_at_ms`` are pruned.
rate_limit_buckets = sa.Table(
    "rate_limit_buckets",
    metadata,
    sa.Column("bucket", sa.String(64), primary_key=True),
    sa.Column("subject_hash", sa.String(64), primary_key=True),
    sa.Column("window_start_ms", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("expires_at_ms", sa.BigInteger, nullable=False, index=True),
    sa.Column("count", sa.Integer, nullable=False),
)
