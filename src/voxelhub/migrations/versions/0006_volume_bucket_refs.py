"""volume bucket refs: volume layers as immutable chunk objects named by versioned refs in the database

Revision ID: 0006
Revises: 0005

Each volume layer becomes a node (`volume_layer_nodes`) and its painted buckets refs
(`volume_bucket_refs`: layer, mag, bucket, from_version -> object key). Existing layers are not rewritten:
each gets a node whose `legacy_prefixes` are its old storage (own prefix, then the prefixes it was forked
from), read as the node's frozen base at version 0 — nothing writes there any more, so it cannot change under
a copy. The layer JSON's `storage` becomes `{"layerId": <node>}`. Downgrade puts the old storage back (saves
made after the upgrade are then not visible: they live in the refs).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import sqlalchemy as sa
from alembic import op

import voxelhub.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_annotations = sa.table("annotations", sa.column("id", sa.String()), sa.column("volume_layers", sa.JSON()))


def upgrade() -> None:
    op.create_table(
        "volume_layer_nodes",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("annotation_id", sa.String(length=24), nullable=True),
        sa.Column("parent_id", sa.String(length=24), nullable=True),
        sa.Column("parent_version", sa.Integer(), nullable=True),
        sa.Column("legacy_prefixes", sa.JSON(), nullable=False),
        sa.Column("created_at", voxelhub.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["annotation_id"],
            ["annotations.id"],
            name=op.f("fk_volume_layer_nodes_annotation_id_annotations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["volume_layer_nodes.id"],
            name=op.f("fk_volume_layer_nodes_parent_id_volume_layer_nodes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volume_layer_nodes")),
    )
    with op.batch_alter_table("volume_layer_nodes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volume_layer_nodes_annotation_id"), ["annotation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_volume_layer_nodes_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "volume_bucket_refs",
        sa.Column("layer_id", sa.String(length=24), nullable=False),
        sa.Column("mag", sa.String(length=40), nullable=False),
        sa.Column("x", sa.Integer(), nullable=False),
        sa.Column("y", sa.Integer(), nullable=False),
        sa.Column("z", sa.Integer(), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["layer_id"],
            ["volume_layer_nodes.id"],
            name=op.f("fk_volume_bucket_refs_layer_id_volume_layer_nodes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "layer_id", "mag", "x", "y", "z", "from_version", name=op.f("pk_volume_bucket_refs")
        ),
    )
    _adopt_old_layers()


def _layers(value: Any) -> list[dict[str, Any]]:
    return json.loads(value) if isinstance(value, str) else list(value or [])


def _adopt_old_layers() -> None:
    bind = op.get_bind()
    nodes = sa.table(
        "volume_layer_nodes",
        sa.column("id", sa.String()),
        sa.column("annotation_id", sa.String()),
        sa.column("legacy_prefixes", sa.JSON()),
        sa.column("created_at", voxelhub.db.UTCDateTime(timezone=True)),
    )
    for row in bind.execute(sa.select(_annotations.c.id, _annotations.c.volume_layers)).all():
        layers = _layers(row.volume_layers)
        changed = False
        for layer in layers:
            storage = layer.get("storage") or {}
            if "own" not in storage:
                continue
            node_id = secrets.token_hex(12)
            bind.execute(
                nodes.insert().values(
                    id=node_id,
                    annotation_id=row.id,
                    created_at=voxelhub.db.utcnow(),
                    legacy_prefixes=[storage["own"], *storage.get("bases", [])],
                )
            )
            layer["storage"] = {"layerId": node_id}
            changed = True
        if changed:
            bind.execute(
                _annotations.update().where(_annotations.c.id == row.id).values(volume_layers=layers)
            )


def downgrade() -> None:
    bind = op.get_bind()
    nodes = sa.table(
        "volume_layer_nodes", sa.column("id", sa.String()), sa.column("legacy_prefixes", sa.JSON())
    )
    prefixes = {r.id: r.legacy_prefixes for r in bind.execute(sa.select(nodes.c.id, nodes.c.legacy_prefixes))}
    for row in bind.execute(sa.select(_annotations.c.id, _annotations.c.volume_layers)).all():
        layers = _layers(row.volume_layers)
        for layer in layers:
            old = prefixes.get((layer.get("storage") or {}).get("layerId"))
            if old:
                old = json.loads(old) if isinstance(old, str) else old
                layer["storage"] = {"own": old[0], "bases": old[1:]}
        bind.execute(_annotations.update().where(_annotations.c.id == row.id).values(volume_layers=layers))
    op.drop_table("volume_bucket_refs")
    with op.batch_alter_table("volume_layer_nodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volume_layer_nodes_parent_id"))
        batch_op.drop_index(batch_op.f("ix_volume_layer_nodes_annotation_id"))

    op.drop_table("volume_layer_nodes")
