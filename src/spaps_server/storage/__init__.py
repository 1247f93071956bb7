"""Storage: SQLAlchemy Core tables, versioned migrations (Alembic) and the repositories, on
SQLite and PostgreSQL alike. Queries are built with Core expressions (always parameterised)."""

from __future__ import annotations

from .applications import ApplicationsRepository
from .database import Database, DatabaseConfigError, DatabaseKind, normalize_database_url
from .mailbox import MailboxRepository
from .migrations import (
    PACKAGED_SCRIPTS,
    Migration,
    MigrationError,
    MigrationScripts,
    migrate,
    reset_database,
)
from .tables import metadata

__all__ = [
    "PACKAGED_SCRIPTS",
    "ApplicationsRepository",
    "Database",
    "DatabaseConfigError",
    "DatabaseKind",
    "MailboxRepository",
    "Migration",
    "MigrationError",
    "MigrationScripts",
    "metadata",
    "migrate",
    "normalize_database_url",
    "reset_database",
]
