"""Compressed bucket answers (`Content-Encoding: zstd` or `gzip`) for clients that accept them.

Browsers decode both natively, in their network process (off the page's main thread, no decoder shipped with
the viewer); Chromium (123+) and Firefox (126+) accept zstd, Safari and scripts using httpx or requests gzip.
Only level 1 is used: the answers are built per request. Segmentation compresses ~20–30× and EM images
~10% at most, where compressing costs more than it saves (gzip crawls at ~20 MB/s on noise): so three
slices of an answer (its start, a third and two thirds in) are compressed as a sample first, and the answer
goes out plain when the sample shrinks by less than `MIN_SAVING`.
"""

from __future__ import annotations

import zlib

import numcodecs
from fastapi import Request
from fastapi.responses import Response

ENCODINGS = ("zstd", "gzip")  # the server's preference
MIN_SAVING = 0.15
SAMPLE_BYTES = 8 * 1024  # per slice
MIN_COMPRESSED_ANSWER = 64 * 1024  # smaller answers go out plain: a few packets either way
_ZSTD = numcodecs.Zstd(level=1)


def accepted_encoding(accept_encoding: str) -> str | None:
    """The encoding to answer in, from an Accept-Encoding header: zstd before gzip, none refused with q=0."""
    offered: dict[str, float] = {}
    for part in accept_encoding.lower().split(",")[:32]:
        name, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        offered[name.strip()] = quality
    return next((e for e in ENCODINGS if offered.get(e, offered.get("*", 0.0)) > 0), None)


def compress(payload: bytes, encoding: str) -> bytes:
    if encoding == "zstd":
        return bytes(_ZSTD.encode(payload))
    if encoding == "gzip":
        packer = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # 16+: a gzip header, not zlib's
        return packer.compress(payload) + packer.flush()
    raise ValueError(f"unknown encoding {encoding!r}")


def encode_answer(payload: bytes, encoding: str | None) -> tuple[bytes, str | None]:
    """The body to send and its Content-Encoding (None: sent as it is)."""
    if encoding is None or len(payload) < MIN_COMPRESSED_ANSWER:
        return payload, None
    third = len(payload) // 3
    sample = b"".join(payload[at : at + SAMPLE_BYTES] for at in (0, third, 2 * third))
    if len(compress(sample, encoding)) > (1 - MIN_SAVING) * len(sample):
        return payload, None
    return compress(payload, encoding), encoding


def requested_encoding(request: Request) -> str | None:
    """What a bucket route may answer in: the client's pick, unless the server does not compress
    (`VOXELHUB_COMPRESS_BUCKETS=0`)."""
    if not request.app.state.settings.compress_buckets:
        return None
    return accepted_encoding(request.headers.get("accept-encoding", ""))


def bucket_response(body: bytes, encoding: str | None) -> Response:
    """The answer of a bucket route; `Vary` tells caches that it depends on Accept-Encoding."""
    headers = {"Vary": "Accept-Encoding"}
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    return Response(body, media_type="application/octet-stream", headers=headers)
