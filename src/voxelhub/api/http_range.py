"""HTTP Range requests (RFC 9110 §14) for the zarr routes: one byte range per request, as zarr clients,
tensorstore and Neuroglancer send them (sharded arrays read their index with a suffix range)."""

from __future__ import annotations

import re

from fastapi.responses import Response

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end_inclusive) of the requested range, None for the whole body.
    Multi-range and malformed headers are ignored (the whole body is sent, as the RFC allows)."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # suffix range: the last N bytes
        length = int(last)
        if length == 0:
            raise RangeNotSatisfiable()
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiable()
    return start, end


def ranged_response(
    body: bytes, range_header: str | None, media_type: str, headers: dict[str, str]
) -> Response:
    headers = {**headers, "Accept-Ranges": "bytes"}
    try:
        wanted = parse_range(range_header, len(body))
    except RangeNotSatisfiable:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{len(body)}"})
    if wanted is None:
        return Response(body, media_type=media_type, headers=headers)
    start, end = wanted
    headers["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
    return Response(body[start : end + 1], status_code=206, media_type=media_type, headers=headers)
