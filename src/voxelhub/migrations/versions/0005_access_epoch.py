"""access epoch: one number PostgreSQL raises whenever a row that decides access changes

Revision ID: 0005
Revises: 0004

The data routes remember what tokens, cookies and datasets stand for (`voxelhub.read_memo`) and look at this
number before using what they remember. Statement-level triggers raise it inside the writing transaction, so
that a reader sees the new number no later than the new rows. Watched: every table the memo reads; columns that
only count uses (a share link's use count and times, an API token's last use) are left out, so that traffic
does not empty the memo. TRUNCATE counts too. SQLite watches its file instead (`PRAGMA data_version`): there
the table exists, with the same row, but nothing raises it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# table -> the columns whose UPDATE matters (None: every column)
WATCHED: dict[str, tuple[str, ...] | None] = {
    "organizations": None,
    "users": None,
    "teams": None,
    "team_memberships": None,
    "auth_sessions": None,
    "api_tokens": ("id", "user_id", "name", "token_digest", "is_default", "secret_derived", "created_at"),
    "login_failures": None,
    "datasets": None,
    "dataset_allowed_teams": None,
    "share_links": (
        "id",
        "object_kind",
        "object_id",
        "organization_id",
        "name",
        "is_default",
        "token",
        "token_digest",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "revoked_by",
    ),
}
FUNCTION = "voxelhub_raise_access_epoch"


def upgrade() -> None:
    op.create_table(
        "access_epoch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_epoch")),
    )
    op.execute("INSERT INTO access_epoch (id, epoch) VALUES (1, 0)")
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"""
        CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE access_epoch SET epoch = epoch + 1 WHERE id = 1;
            RETURN NULL;
        END $$""")
    for table, columns in WATCHED.items():
        update = "UPDATE" if columns is None else "UPDATE OF " + ", ".join(columns)
        op.execute(
            f"CREATE TRIGGER {table}_access_epoch AFTER INSERT OR DELETE OR {update} ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_access_epoch_truncate AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_access_epoch ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_access_epoch_truncate ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    op.drop_table("access_epoch")
