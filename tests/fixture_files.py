"""Where the test suite's vendored files live: real files written by the field's own tools.

`tests/fixtures/webknossos-libs/` holds NMLs, annotation zips and tiny datasets from webknossos-libs (see its
README and the repository's NOTICE); the TEMCA2 EM tiles ship inside the package (`voxelhub/demo_assets/`)
because the demo needs them at run time. Every path is relative to this file, so a clone anywhere works.
"""

from __future__ import annotations

from pathlib import Path

from voxelhub.demo_content import TEMCA2_TILES

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "webknossos-libs"
TEMCA2_TILES_DIR = TEMCA2_TILES
