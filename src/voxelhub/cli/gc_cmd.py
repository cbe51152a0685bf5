"""`voxelhub gc [--dry-run] [--grace-minutes N]`: reclaim volume objects no live annotation can read."""

from __future__ import annotations

import argparse

from voxelhub.annotations.volume import gc
from voxelhub.annotations.volume.layers import volumes_location
from voxelhub.cli.context import database, settings_from


def register(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "gc", help="delete volume data no annotation (or copy of one) can read any more; safe while serving"
    )
    command.add_argument("--dry-run", action="store_true", help="print what would be deleted, delete nothing")
    command.add_argument(
        "--grace-minutes",
        type=int,
        default=None,
        help="keep objects younger than this (default: $VOXELHUB_VOLUME_GC_GRACE_SECONDS / 60, "
        "i.e. 60): a save in progress may not have committed them yet",
    )
    command.set_defaults(handler=run_gc)


def run_gc(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    grace = None if args.grace_minutes is None else max(0, args.grace_minutes) * 60
    with database(settings) as session:
        garbage = gc.run(
            session, settings, volumes_location(settings), dry_run=args.dry_run, grace_seconds=grace
        )
    verb = "would delete" if args.dry_run else "deleted"
    for key, size in garbage.objects:
        print(f"{verb} {key} ({size} bytes)")
    print(
        f"{verb} {len(garbage.objects)} objects, {garbage.bytes} bytes, {len(garbage.dead_nodes)} layer records; "
        f"kept {garbage.kept_objects} objects"
    )
    return 0
