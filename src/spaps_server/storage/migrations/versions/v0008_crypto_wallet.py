"""Crypto invoices and their payments, reconciliation jobs, wallet deposits,
payment intents, payment methods and the balance ledger."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from spaps_server.storage.types import UTCDateTime

revision = "0008"
down_revision: str | None = "0007"


def _app_fk() -> sa.Column[str]:
    return sa.Column(
        "application_id",
        sa.String(64),
        sa.ForeignKey("applications.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    """Create the tables (snapshot definitions, independent of tables.py)."""
    conn = op.get_bind()
    md = sa.MetaData()
    # Only the referenced key of ``applications`` (created by version 1), for the foreign keys.
    sa.Table("applications", md, sa.Column("id", sa.String(64), primary_key=True))
    invoices = sa.Table(
        "crypto_invoices",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        _app_fk(),
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
    payments = sa.Table(
        "crypto_invoice_payments",
        md,
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
    jobs = sa.Table(
        "crypto_reconcile_jobs",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        _app_fk(),
        sa.Column("scheduled_at", UTCDateTime, nullable=False),
        sa.Column("completed_at", UTCDateTime, nullable=False),
        sa.Column("last_invoice_id", sa.String(64), nullable=True),
        sa.Column("invoices_checked", sa.Integer, nullable=False),
        sa.Column("invoices_expired", sa.Integer, nullable=False),
        sa.Column("has_more", sa.Boolean, nullable=False),
    )
    deposits = sa.Table(
        "wallet_deposits",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        _app_fk(),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("wallet_address", sa.String(128), nullable=False),
        sa.Column("chain_type", sa.String(32), nullable=False),
        sa.Column("transaction_id", sa.String(128), nullable=False),
        sa.Column("amount", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(16), nullable=False),
        sa.Column("tier", sa.String(64), nullable=True),
        sa.Column("confirmation_required", sa.Integer, nullable=False),
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
    intents = sa.Table(
        "payment_intents",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        _app_fk(),
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
    methods = sa.Table(
        "payment_methods",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        _app_fk(),
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
    )
    default_flag = sa.text("is_default")
    sa.Index(
        "uq_payment_methods_one_default",
        methods.c.application_id,
        methods.c.user_id,
        unique=True,
        sqlite_where=default_flag,
        postgresql_where=default_flag,
    )
    ledger = sa.Table(
        "balance_entries",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        _app_fk(),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("amount", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("source_type", sa.String(32), nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("source_type", "source_id", name="uq_balance_entries_source"),
        sa.Index("ix_balance_entries_app_user", "application_id", "user_id"),
    )
    md.create_all(conn, tables=[invoices, payments, jobs, deposits, intents, methods, ledger])
