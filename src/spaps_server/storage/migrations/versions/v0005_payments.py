"""The payments simulator's tables (customers, products, prices, checkout
sessions, subscriptions, charges). Snapshot definitions, independent of tables.py."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from spaps_server.storage.types import UTCDateTime

revision = "0005"
down_revision: str | None = "0004"


def _app_fk() -> sa.Column[str]:
    return sa.Column(
        "application_id",
        sa.String(64),
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def upgrade() -> None:
    """Create the payments tables."""
    conn = op.get_bind()
    metadata = sa.MetaData()
    # Only the referenced keys of tables created by earlier versions, for the foreign keys.
    sa.Table("applications", metadata, sa.Column("id", sa.String(64), primary_key=True))
    sa.Table("users", metadata, sa.Column("id", sa.String(64), primary_key=True))

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
    metadata.create_all(
        conn,
        tables=[payment_customers, products, prices, checkout_sessions, subscriptions, payments],
    )
