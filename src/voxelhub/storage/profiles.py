"""Named storage profiles: an object store's options, credentials included, kept in the server's settings.

A dataset on an object store is registered with a profile's name (`voxelhub dataset add s3://… --storage-profile
lab-s3`), and the database keeps only that name and non-secret options: credentials never reach a table, so they
are in no database dump. Each server process reads the profiles from `VOXELHUB_STORAGE_PROFILES` (a JSON object
of name -> s3fs options); every process must know every profile its datasets name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voxelhub.errors import BadInput, DomainError

PROFILE = "profile"
# Option names that carry a secret, as s3fs/botocore spell them (compared without case, at any depth).
CREDENTIAL_NAMES = frozenset(
    {
        "key",
        "secret",
        "token",
        "password",
        "session_token",
        "access_key",
        "secret_key",
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
    }
)


class StorageProfileMissing(DomainError):
    """A dataset names a storage profile this server process does not have."""

    status_code = 503


def credential_names_in(options: Mapping[str, Any]) -> list[str]:
    """The option names, at any depth (`client_kwargs`, `config_kwargs`), that would carry a secret."""
    found = []
    for name, value in options.items():
        if name.lower() in CREDENTIAL_NAMES:
            found.append(name)
        elif isinstance(value, Mapping):
            found.extend(credential_names_in(value))
    return found


def storable_options(options: Mapping[str, Any], profiles: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """What may be stored with a dataset: refuses credentials (they belong in a profile) and unknown profiles."""
    secrets = credential_names_in(options)
    if secrets:
        raise BadInput(
            f"storage options hold credentials ({', '.join(sorted(set(secrets)))}): put them in a "
            "storage profile (VOXELHUB_STORAGE_PROFILES) and name it with --storage-profile; "
            "credentials are never stored in the database"
        )
    profile = options.get(PROFILE)
    if profile is not None and (not isinstance(profile, str) or profile not in profiles):
        known = ", ".join(sorted(profiles)) or "none are configured"
        raise BadInput(f"storage profile {profile!r} is not configured on this server ({known})")
    return dict(options)


def effective_options(
    stored: Mapping[str, Any] | None, profiles: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any] | None:
    """The options to open a stored location with: the named profile's, overlaid with the stored ones."""
    if not stored:
        return None
    options = dict(stored)
    name = options.pop(PROFILE, None)
    if name is None:
        return options
    profile = profiles.get(name)
    if profile is None:
        raise StorageProfileMissing(
            f"this server has no storage profile {name!r}: set it in "
            "VOXELHUB_STORAGE_PROFILES on every server process"
        )
    return {**profile, **options}
