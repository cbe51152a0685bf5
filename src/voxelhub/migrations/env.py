"""Alembic environment: runs on the connection voxelhub hands over (see voxelhub.db.run_migrations)."""

from __future__ import annotations

from alembic import context

import voxelhub.models  # noqa: F401  (registers every table on Base.metadata)
from voxelhub.db import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("voxelhub migrations run through voxelhub.db.run_migrations(engine)")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
