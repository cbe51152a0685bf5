from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.storage.s3server import running_s3


@pytest.fixture(scope="session")
def s3_options() -> Iterator[dict[str, Any]]:
    with running_s3() as options:
        yield options
