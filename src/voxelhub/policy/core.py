"""Dispatch of `can(actor, action, obj)` to the rules of each object kind."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from voxelhub.errors import Forbidden, NotAuthenticated, NotFound
from voxelhub.policy.actors import Actor, Principal


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


def can(actor: Actor, action: Action | str, obj: Any) -> bool:
    """May `actor` do `action` on `obj`? Unknown actions and object kinds are denied."""
    try:
        action = Action(action)
    except ValueError:
        return False
    if actor.is_system:
        return True
    rule = _RULES.get(type(obj))
    return bool(rule and rule(actor, action, obj))


def authorize(actor: Actor, action: Action | str, obj: Any) -> None:
    """Raise the domain error the spec asks for: 404 when the actor may not even read the object
    (never reveal it exists), 403 when it may read it but not do this."""
    if can(actor, action, obj):
        return
    if action != Action.READ and can(actor, Action.READ, obj):
        if actor.is_anonymous:
            raise NotAuthenticated()
        raise Forbidden()
    raise NotFound()


def require_user(actor: Actor) -> Principal:
    """The logged-in user behind the actor; 401 when there is none."""
    if actor.user is None:
        raise NotAuthenticated()
    return actor.user


def _load_rules() -> None:
    # Imported for their registrations; kept at the bottom to avoid an import cycle.
    from voxelhub.policy import accounts_rules, annotations_rules, datasets_rules  # noqa: F401


_load_rules()
