"""annotation edit position: where the owner last worked (position, rotation, zoom), so a bare link opens there

Revision ID: 0009
Revises: 0008

Not watched by the access epoch (0005): it decides no access.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("annotations") as batch:
        batch.add_column(sa.Column("edit_position", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("edit_rotation", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("zoom_level", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("annotations") as batch:
        batch.drop_column("zoom_level")
        batch.drop_column("edit_rotation")
        batch.drop_column("edit_position")
