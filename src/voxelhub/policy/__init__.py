"""THE place that decides access (CONVENTIONS.md 1-3; docs/permissions.md is the contract).

`can(actor, action, obj)` answers every "may X do Y on Z?"; `readable_*` functions add the same rules
to SQL listings. Unknown actions or object kinds are denied.
"""

from __future__ import annotations

from voxelhub.policy.actors import ANONYMOUS, SYSTEM, Actor, Principal, ShareGrant
from voxelhub.policy.annotations_rules import (
    VOLUME_DATA_NEEDS_DATASET,
    AnnotationOnDataset,
    readable_annotations,
    shared_with_user,
)
from voxelhub.policy.core import authorize, can, require_user
from voxelhub.policy.datasets_rules import DatasetFacts, is_dataset_editor, public_datasets, readable_datasets
from voxelhub.policy.grants import grant_is_valid
from voxelhub.policy.registry import Action
from voxelhub.policy.volume_data import authorize_volume_data, can_read_volume_data

__all__ = [
    "ANONYMOUS",
    "SYSTEM",
    "VOLUME_DATA_NEEDS_DATASET",
    "Action",
    "Actor",
    "AnnotationOnDataset",
    "authorize_volume_data",
    "can_read_volume_data",
    "DatasetFacts",
    "Principal",
    "ShareGrant",
    "authorize",
    "grant_is_valid",
    "is_dataset_editor",
    "public_datasets",
    "readable_annotations",
    "readable_datasets",
    "shared_with_user",
    "can",
    "require_user",
]
