"""Dispatch of `can(actor, action, obj)` to the rules of each object kind."""

from __future__ import annotations

from typing import Any

from voxelhub.errors import Forbidden, NotAuthenticated, NotFound

# The rules modules register their rules in the registry as they are imported; `can` needs every one of them.
from voxelhub.policy import accounts_rules, annotations_rules, datasets_rules  # noqa: F401
from voxelhub.policy.actors import Actor, Principal
from voxelhub.policy.registry import Action, rule_of


def can(actor: Actor, action: Action | str, obj: Any) -> bool:
    """May `actor` do `action` on `obj`? Unknown actions and object kinds are denied."""
    try:
        action = Action(action)
    except ValueError:
        return False
    if actor.is_system:
        return True
    rule = rule_of(type(obj))
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
