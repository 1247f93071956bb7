"""The revision scripts, one per file (Alembic loads them by path; see the parent package)."""
