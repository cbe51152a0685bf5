"""The vocabulary of the policy (`Action`) and the table of which rule decides for which kind of object.

Each rules module registers its rule functions here with `@rule_for(kind)`; `core` looks them up. This module
imports no rules module, and the rules modules import nothing of `core`, so the policy has no import cycle:
`core` imports the rules modules (filling the table) and this registry.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from voxelhub.policy.actors import Actor


class Action(StrEnum):
    READ = "read"
    LIST_PUBLIC = "list_public"
    MANAGE_USERS = "manage_users"
    MANAGE_TEAMS = "manage_teams"
    MANAGE_DATASETS = "manage_datasets"
    UPDATE = "update"
    DELETE = "delete"
    GET_SHARING_LINK = "get_sharing_link"
    REVOKE_SHARING_LINK = "revoke_sharing_link"
    EDIT = "edit"
    CHANGE_TEAMS = "change_teams"
    CREATE_ANNOTATION = "create_annotation"
    WRITE = "write"
    CHANGE_VISIBILITY = "change_visibility"
    SHARE_WITH_TEAMS = "share_with_teams"
    FORK = "fork"
    DOWNLOAD = "download"
    READ_VOLUME_DATA = "read_volume_data"
    READ_AUDIT = "read_audit"


Rule = Callable[[Actor, Action, Any], bool]
_RULES: dict[type, Rule] = {}


def rule_for(kind: type) -> Callable[[Rule], Rule]:
    """Registers the rule function that decides for objects of `kind`."""

    def register(fn: Rule) -> Rule:
        _RULES[kind] = fn
        return fn

    return register


def rule_of(kind: type) -> Rule | None:
    """The rule registered for objects of exactly this type, if any."""
    return _RULES.get(kind)
