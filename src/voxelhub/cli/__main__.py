"""`python -m voxelhub.cli` is the same as the `voxelhub` command."""

import sys

from voxelhub.cli import main

sys.exit(main())
