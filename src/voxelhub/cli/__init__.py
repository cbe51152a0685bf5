"""The `voxelhub` command line: serve, migrate, org, user, team, demo, dataset."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from voxelhub.cli import accounts_cmds, dataset_cmds, gc_cmd, migrate_cmd, serve_cmd
from voxelhub.errors import DomainError
from voxelhub.settings import SettingsError

Registrar = Callable[[argparse._SubParsersAction], None]
REGISTRARS: list[Registrar] = [
    serve_cmd.register,
    migrate_cmd.register,
    accounts_cmds.register,
    dataset_cmds.register,
    gc_cmd.register,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voxelhub", description="Share large 3D microscopy data.")
    parser.add_argument("--data-dir", help="data folder (default: $VOXELHUB_DATA_DIR or ./voxelhub-data)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in REGISTRARS:
        register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (DomainError, SettingsError) as exc:
        message = exc.message if isinstance(exc, DomainError) else str(exc)
        print(f"voxelhub: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("voxelhub: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
