"""`voxelhub migrate`: bring the database schema to this version's newest revision, once per upgrade.

The rollout order for several server processes (docs/deploy.md): stop or drain the old processes, run
`voxelhub migrate` once, start the new processes with `voxelhub serve --no-migrate`. Without `--no-migrate`
each `serve` migrates at start; concurrent starts wait for each other instead of racing.
"""

from __future__ import annotations

import argparse

from voxelhub.cli.context import settings_from
from voxelhub.db import SchemaState, make_engine, run_migrations, schema_state
from voxelhub.errors import DomainError


class SchemaBehind(DomainError):
    """The database's schema is older than this voxelhub, and this command may not migrate it."""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("migrate", help="bring the database schema up to date (once per upgrade)")
    parser.add_argument("--data-dir", dest="data_dir", default=argparse.SUPPRESS, help="data folder")
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing: exit 0 when the schema is up to date, 1 when it needs migrating",
    )
    parser.set_defaults(handler=migrate)


def migrate(args: argparse.Namespace) -> int:
    engine = make_engine(settings_from(args))
    try:
        if args.check:
            state = schema_state(engine)
            print(f"voxelhub: database schema {describe(state)}")
            return 0 if state.at_head else 1
        found = run_migrations(engine)
    finally:
        engine.dispose()
    if found.at_head:
        print(f"voxelhub: database schema already at {found.head}; nothing to do")
    else:
        print(f"voxelhub: database schema migrated from {found.current or 'empty'} to {found.head}")
    return 0


def describe(state: SchemaState) -> str:
    if state.at_head:
        return f"at {state.head} (up to date)"
    return f"at {state.current or 'nothing (empty database)'}; this voxelhub needs {state.head}"


def require_schema_at_head(state: SchemaState) -> None:
    """For processes told not to migrate: refuse to serve a schema they do not know."""
    if not state.at_head:
        raise SchemaBehind(
            f"database schema {describe(state)}: run `voxelhub migrate` first (or start without --no-migrate)"
        )
