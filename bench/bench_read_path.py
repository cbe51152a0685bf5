"""The whole road from storage to the viewer in one run (issue 15): the three benchmarks one after the other,
on the same machine state, each printing its own table.

1. `bench_buckets.py`: tensorstore in-process (sequential and concurrent), zarr-python in-process, voxelhub's read
   engine in-process, and the bucket route plain and compressed, with ratios to tensorstore's concurrent read.
2. `bench_first_screen.py`: navigation to the first screen in Chromium (compressed and plain), bytes on the wire,
   the drag frame rate.
3. `bench_serving.py`: raw chunk pass-through against nginx, with the bare ASGI ceiling beside it.

Usage: bash scripts/bench.sh read_path      (options are not passed on; run a part alone to tune it)
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PARTS = ("bench_buckets.py", "bench_first_screen.py", "bench_serving.py")


def main() -> None:
    if len(sys.argv) > 1:
        sys.exit(__doc__)
    failed = []
    for part in PARTS:
        print(f"\n===== {part} =====", flush=True)
        started = time.monotonic()
        status = subprocess.run([sys.executable, str(HERE / part)], check=False).returncode
        print(f"===== {part}: exit {status}, {time.monotonic() - started:.0f} s =====", flush=True)
        if status != 0:
            failed.append(part)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
