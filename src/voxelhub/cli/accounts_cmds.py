"""`voxelhub org create`, `user add`, `team add` and `demo`."""

from __future__ import annotations

import argparse

from sqlalchemy import select

from voxelhub.accounts import service
from voxelhub.accounts.models import Team
from voxelhub.cli.context import database, settings_from
from voxelhub.errors import BadInput, NotFound
from voxelhub.policy import SYSTEM


def register(commands: argparse._SubParsersAction) -> None:
    org = commands.add_parser("org", help="organizations").add_subparsers(dest="org_command", required=True)
    create = org.add_parser("create", help="create an organization with its first admin")
    create.add_argument("name")
    create.add_argument("--admin-email", required=True)
    create.add_argument("--admin-password", required=True)
    create.set_defaults(handler=org_create)

    user = commands.add_parser("user", help="users").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="add a user to an organization")
    add.add_argument("email")
    add.add_argument("--org", required=True, help="organization name")
    add.add_argument("--password", required=True)
    add.add_argument("--first-name", default="")
    add.add_argument("--last-name", default="")
    add.add_argument("--admin", action="store_true")
    add.add_argument("--dataset-manager", action="store_true")
    add.add_argument("--team", action="append", default=[], help="team name (repeatable)")
    add.add_argument("--manages", action="append", default=[], help="team name the user manages (repeatable)")
    add.set_defaults(handler=user_add)

    team = commands.add_parser("team", help="teams").add_subparsers(dest="team_command", required=True)
    team_add = team.add_parser("add", help="add a team to an organization")
    team_add.add_argument("name")
    team_add.add_argument("--org", required=True)
    team_add.set_defaults(handler=team_add_cmd)

    demo = commands.add_parser("demo", help="create (or refresh) the demo organization and content")
    demo.set_defaults(handler=demo_cmd)


def org_create(args: argparse.Namespace) -> int:
    with database(settings_from(args)) as session:
        org, admin = service.create_organization(
            session=session,
            actor=SYSTEM,
            name=args.name,
            admin_email=args.admin_email,
            admin_password=args.admin_password,
        )
        print(f"created organization {org.name} ({org.id}) with admin {admin.email}")
    return 0


def organization_id_named(session, name: str) -> str:
    org = service.find_organization(session, name)
    if org is None:
        raise NotFound(f"no organization named {name!r}")
    return org.id


def _team_id(session, org_id: str, name: str) -> str:
    team_id = session.scalar(select(Team.id).where(Team.organization_id == org_id, Team.name == name))
    if team_id is None:
        raise BadInput(f"no team named {name!r} in this organization")
    return str(team_id)


def user_add(args: argparse.Namespace) -> int:
    with database(settings_from(args)) as session:
        org_id = organization_id_named(session, args.org)
        teams = [
            service.TeamAssignment(_team_id(session, org_id, n), n in args.manages)
            for n in dict.fromkeys(args.team + args.manages)
        ]
        user = service.create_user(
            session=session,
            actor=SYSTEM,
            organization_id=org_id,
            email=args.email,
            password=args.password,
            first_name=args.first_name,
            last_name=args.last_name,
            is_admin=args.admin,
            is_dataset_manager=args.dataset_manager,
            teams=teams,
        )
        print(f"created user {user.email} ({user.id})")
    return 0


def team_add_cmd(args: argparse.Namespace) -> int:
    with database(settings_from(args)) as session:
        team = service.create_team(
            session=session,
            actor=SYSTEM,
            organization_id=organization_id_named(session, args.org),
            name=args.name,
        )
        print(f"created team {team.name} ({team.id})")
    return 0


def demo_cmd(args: argparse.Namespace) -> int:
    from voxelhub import demo

    settings = settings_from(args)
    with database(settings) as session:
        report = demo.create_demo(session=session, settings=settings)
    print(report.render())
    return 0
