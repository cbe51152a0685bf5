"""share link visits: distinct visitors of a link per hour, so that usage reads as visits, not requests

Revision ID: 0007
Revises: 0006

Not watched by the access epoch (0005): it only counts, and decides no access.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import voxelhub.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "share_link_visits",
        sa.Column("link_id", sa.String(length=24), nullable=False),
        sa.Column("hour", voxelhub.db.UTCDateTime(), nullable=False),
        sa.Column("visitor", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["share_links.id"],
            name=op.f("fk_share_link_visits_link_id_share_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("link_id", "hour", "visitor", name=op.f("pk_share_link_visits")),
    )


def downgrade() -> None:
    op.drop_table("share_link_visits")
