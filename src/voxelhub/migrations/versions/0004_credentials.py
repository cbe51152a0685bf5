"""credentials: API tokens stored as digests only, several named tokens per user with a last-use time

Revision ID: 0004
Revises: 0003

Existing tokens keep working: their SHA-256 digest was already stored beside the plain secret, so the new
table keeps the digest and the plain column goes away. Such a token cannot be shown again (its secret is not
derived from the server key), so it becomes the user's default with `secret_derived` false; the next
`GET /api/auth/token` keeps it working under another name and makes a new default. Sessions already stored only
a digest and stay. Credentials of deactivated users are ended: reactivating them must not revive old ones.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

import voxelhub.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # The dropped table held plain secrets: overwrite its pages rather than leave them in the file's free list.
        op.execute("PRAGMA secure_delete = ON")
    old = sa.table(
        "api_tokens",
        sa.column("user_id", sa.String()),
        sa.column("token_digest", sa.String()),
        sa.column("created_at", voxelhub.db.UTCDateTime(timezone=True)),
    )
    kept = bind.execute(sa.select(old.c.user_id, old.c.token_digest, old.c.created_at)).all()
    op.drop_table("api_tokens")
    tokens = _create_token_table()
    op.bulk_insert(
        tokens,
        [
            {
                "id": secrets.token_hex(12),
                "user_id": row.user_id,
                "name": "default",
                "token_digest": row.token_digest,
                "is_default": True,
                "secret_derived": False,
                "created_at": row.created_at,
                "last_used_at": None,
            }
            for row in kept
        ],
    )
    _end_credentials_of_inactive_users()


def _create_token_table() -> sa.Table:
    table = op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("user_id", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("secret_derived", sa.Boolean(), nullable=False),
        sa.Column("created_at", voxelhub.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", voxelhub.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_api_tokens_token_digest")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)
    assert table is not None
    return table


def _end_credentials_of_inactive_users() -> None:
    users = sa.table("users", sa.column("id", sa.String()), sa.column("is_active", sa.Boolean()))
    inactive = sa.select(users.c.id).where(users.c.is_active.is_(False))
    for name in ("api_tokens", "auth_sessions"):
        table = sa.table(name, sa.column("user_id", sa.String()))
        op.execute(sa.delete(table).where(table.c.user_id.in_(inactive)))


def downgrade() -> None:
    # The old table kept plain secrets, which no longer exist: every API token ends (users make new ones).
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))
    op.drop_table("api_tokens")
    op.create_table(
        "api_tokens",
        sa.Column("user_id", sa.String(length=24), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", voxelhub.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_api_tokens_token_digest")),
    )
