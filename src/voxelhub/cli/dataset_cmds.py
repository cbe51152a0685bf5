"""`voxelhub dataset add PATH --org ORG [--name NAME]`: scan and register a dataset folder."""

from __future__ import annotations

import argparse
import json

from voxelhub.cli.accounts_cmds import organization_id_named
from voxelhub.cli.context import database, settings_from
from voxelhub.datasets import service
from voxelhub.errors import BadInput
from voxelhub.policy import SYSTEM


def register(commands: argparse._SubParsersAction) -> None:
    dataset = commands.add_parser("dataset", help="datasets").add_subparsers(
        dest="dataset_command", required=True
    )
    add = dataset.add_parser("add", help="register a dataset folder (webKnossos layout or OME-Zarr)")
    add.add_argument("path", help="a local folder or s3://bucket/prefix")
    add.add_argument("--org", required=True, help="organization name")
    add.add_argument("--name", help="dataset name (default: from the metadata or the folder)")
    add.add_argument(
        "--storage-profile",
        metavar="NAME",
        help="a storage profile of VOXELHUB_STORAGE_PROFILES: the object store's options and "
        "credentials, of which only the name is stored",
    )
    add.add_argument(
        "--storage-options",
        default="{}",
        help='non-secret JSON options for the object store, e.g. {"endpoint_url": "http://127.0.0.1:9000"} '
        "(credentials are refused: use a profile or the AWS_* variables)",
    )
    add.set_defaults(handler=dataset_add)


def _location_url(path: str) -> str:
    from pathlib import Path

    if "://" in path:
        return path
    folder = Path(path).expanduser().resolve()
    if not folder.is_dir():
        raise BadInput(f"{path}: no such folder")
    return str(folder)


def dataset_add(args: argparse.Namespace) -> int:
    try:
        options = json.loads(args.storage_options)
    except json.JSONDecodeError as exc:
        raise BadInput(f"--storage-options: not valid JSON ({exc.msg})") from exc
    if not isinstance(options, dict):
        raise BadInput('--storage-options: a JSON object, e.g. {"endpoint_url": "http://127.0.0.1:9000"}')
    if args.storage_profile:
        options["profile"] = args.storage_profile
    settings = settings_from(args)
    with database(settings) as session:
        dataset = service.register_folder(
            session=session,
            actor=SYSTEM,
            organization_id=organization_id_named(session, args.org),
            location_url=_location_url(args.path),
            name=args.name,
            storage_options=options or None,
            profiles=settings.storage_profiles,
        )
        layers = ", ".join(
            f"{l['name']} ({l['category']}, {len(l['mags'])} mags)"  # noqa: E741
            for l in dataset.data_source["dataLayers"]
        )  # noqa: E741
        print(f"registered dataset {dataset.name} ({dataset.id}): {layers}; private, no allowed teams")
    return 0
