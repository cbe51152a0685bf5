"""Fixtures for the pure annotation core tests (no DB, no HTTP)."""

from __future__ import annotations

import pytest

from tests.annotations_core.core_data import FIXTURES
from voxelhub.annotations.nml.reader import read_nml


@pytest.fixture
def small_skeleton():
    return read_nml(FIXTURES / "nmls" / "nml_with_small_distance_nodes.nml")
