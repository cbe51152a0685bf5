"""access epoch notify: the epoch's rise is also announced with NOTIFY

Revision ID: 0008
Revises: 0007

Every server process listens on `voxelhub_access_epoch` (`voxelhub.read_memo.EpochWatcher`). PostgreSQL delivers
a NOTIFY when the transaction that raised the epoch commits, and to every listener, so a process learns of a
change without asking on each request; the payload is the new epoch, so a listener can tell whether it has
heard of every commit up to a number it read. The trigger function of 0005 is replaced in place (same name,
same triggers). SQLite has no such mechanism and needs none (`PRAGMA data_version`).
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FUNCTION = "voxelhub_raise_access_epoch"
CHANNEL = "voxelhub_access_epoch"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            raised bigint;
        BEGIN
            UPDATE access_epoch SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch INTO raised;
            PERFORM pg_notify('{CHANNEL}', raised::text);
            RETURN NULL;
        END $$""")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE access_epoch SET epoch = epoch + 1 WHERE id = 1;
            RETURN NULL;
        END $$""")
