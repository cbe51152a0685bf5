"""Rules for organizations, users and teams. Organizations are walls: no role crosses them."""

from __future__ import annotations

from voxelhub.accounts.models import ApiToken, Organization, Team, User
from voxelhub.policy.actors import Actor
from voxelhub.policy.registry import Action, rule_for


def _is_member(actor: Actor, organization_id: str) -> bool:
    return actor.user is not None and actor.user.organization_id == organization_id


def _is_admin_of(actor: Actor, organization_id: str) -> bool:
    return _is_member(actor, organization_id) and actor.user is not None and actor.user.is_admin


@rule_for(Organization)
def organization_rule(actor: Actor, action: Action, org: Organization) -> bool:
    if action == Action.READ:
        return _is_member(actor, org.id)
    if action in (Action.MANAGE_USERS, Action.MANAGE_TEAMS):
        return _is_admin_of(actor, org.id)
    if action == Action.MANAGE_DATASETS:  # register new datasets
        return _is_admin_of(actor, org.id) or (
            _is_member(actor, org.id) and actor.user is not None and actor.user.is_dataset_manager
        )
    return False


@rule_for(Team)
def team_rule(actor: Actor, action: Action, team: Team) -> bool:
    if action == Action.READ:
        return _is_member(actor, team.organization_id)
    if action in (Action.UPDATE, Action.DELETE):
        return _is_admin_of(actor, team.organization_id)
    return False


@rule_for(User)
def user_rule(actor: Actor, action: Action, user: User) -> bool:
    if action == Action.READ:  # one's own profile, or any profile for the organization's admins
        is_self = actor.user is not None and actor.user.user_id == user.id
        return is_self or _is_admin_of(actor, user.organization_id)
    if action == Action.UPDATE:
        return _is_admin_of(actor, user.organization_id)
    return False


@rule_for(ApiToken)
def api_token_rule(actor: Actor, action: Action, token: ApiToken) -> bool:
    # A token is its owner's alone: not even an admin sees or ends another user's token one by one (an
    # admin's password reset or deactivation ends them all, `voxelhub.accounts.credentials`).
    is_owner = actor.user is not None and actor.user.user_id == token.user_id
    return is_owner and action in (Action.READ, Action.DELETE)
