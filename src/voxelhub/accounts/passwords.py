"""Password hashing with argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from voxelhub.errors import BadInput

MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()
# Verified against when the email is unknown, so that a wrong email costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("voxelhub-dummy-password")


def use_cheap_hashing_for_tests() -> None:
    """Argon2 with minimal cost, so a test suite that creates hundreds of users stays fast.
    Only the test suite calls this; hashes stay valid argon2id and verify either way."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    _DUMMY_HASH = _hasher.hash("voxelhub-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def checked_password(password: str) -> str:
    """A new password, if it is long enough."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInput(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    return password
