"""Alembic's environment for the spaps_server revisions.

It runs only on the connection that :func:`spaps_server.storage.migrations.migrate` hands
over in the configuration's attributes, inside the transaction that holds the migration lock;
there is no ``alembic.ini`` and no URL to connect to, so the ``alembic`` command line and its
offline (``--sql``) mode are refused.
"""

from __future__ import annotations

from alembic import context

from spaps_server.storage.migrations import MigrationError, record_applied_revision
from spaps_server.storage.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise MigrationError(
        "spaps applies its migrations itself, on its own database connection: run "
        "`spaps db upgrade` (or start the server) instead of the alembic command"
    )
context.configure(
    connection=connection,
    target_metadata=metadata,
    # The connection is inside spaps' own transaction, which holds DDL on SQLite too (spaps
    # issues BEGIN itself), so a failing revision rolls back with everything before it.
    transactional_ddl=True,
    version_table_schema=config.attributes.get("schema"),
    on_version_apply=record_applied_revision,
)
with context.begin_transaction():
    context.run_migrations()
