from __future__ import annotations

import pytest

from voxelhub.storage import InvalidKey, normalize_relative_path, validate_key


@pytest.mark.parametrize(
    "key",
    [
        "..",
        "../x",
        "a/../b",
        "a/..",
        "/etc/passwd",
        "a\\b",
        "..\\x",
        "a\x00b",
        "a//b",
        "a/",
        "",
        "./a",
        "a/./b",
        "C:/x",
        "a\nb",
    ],
)
def test_unsafe_keys_are_refused(key: str) -> None:
    with pytest.raises(InvalidKey):
        validate_key(key)


@pytest.mark.parametrize("key", ["a", "color/1/c/0/0/0", ".zarray", "color/2-2-1/.zarray", "zarr.json"])
def test_ordinary_keys_pass(key: str) -> None:
    assert validate_key(key) == key


def test_invalid_key_is_a_value_error() -> None:
    assert issubclass(InvalidKey, ValueError)


def test_metadata_paths_are_normalized() -> None:
    assert normalize_relative_path("./color/1") == "color/1"
    assert normalize_relative_path("color/1/") == "color/1"
    with pytest.raises(InvalidKey):
        normalize_relative_path("./../secret")
