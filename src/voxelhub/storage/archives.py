"""Reading uploaded zip archives without trusting them.

A zip's directory states every member's sizes, and a hostile zip lies: a few hundred bytes may inflate to
gigabytes. So nothing here believes a declared size. Members are read as streams and the bytes actually
decompressed are counted against three limits: per member, per upload in total (one `ByteBudget` shared by
the outer archive and every archive nested in it), and the member's compression ratio. Every way a member can
fail to read (bad CRC, broken deflate stream, unsupported method, encryption, truncation) becomes one
`ArchiveError`, a 400 naming the member.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from voxelhub.errors import BadInput
from voxelhub.settings import Settings

READ_CHUNK = 1 << 20
RATIO_GRACE_BYTES = 1 << 20  # small members (JSON, headers) may compress far better than data; not a risk
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    KeyError,
)


class ArchiveError(BadInput):
    """An archive member cannot be read or breaks a limit (a 400 naming the member)."""


@dataclass(frozen=True)
class ZipLimits:
    """How much one upload may unpack. `max_ratio` is decoded bytes per compressed byte of one member,
    checked once a member has decoded more than `RATIO_GRACE_BYTES`."""

    max_member_bytes: int
    max_total_bytes: int
    max_ratio: int
    max_members: int


def annotation_zip_limits(settings: Settings) -> ZipLimits:
    return ZipLimits(
        max_member_bytes=settings.annotation_zip_max_member_bytes,
        max_total_bytes=settings.annotation_zip_max_total_bytes,
        max_ratio=settings.zip_max_ratio,
        max_members=settings.annotation_zip_max_members,
    )


def dataset_zip_limits(settings: Settings) -> ZipLimits:
    return ZipLimits(
        max_member_bytes=settings.dataset_zip_max_member_bytes,
        max_total_bytes=settings.dataset_zip_max_total_bytes,
        max_ratio=settings.zip_max_ratio,
        max_members=settings.dataset_zip_max_members,
    )


class ByteBudget:
    """Decoded bytes one upload may still produce, shared by every archive (and nested archive) it holds."""

    def __init__(self, limits: ZipLimits) -> None:
        self.limits = limits
        self.used = 0

    def spend(self, count: int, what: str) -> None:
        self.used += count
        if self.used > self.limits.max_total_bytes:
            raise ArchiveError(f"{what}: the upload unpacks to more than {self.limits.max_total_bytes} bytes")


def open_zip(source: bytes | str | Path | IO[bytes], what: str, limits: ZipLimits) -> zipfile.ZipFile:
    """A zip with at most `limits.max_members` entries, or an ArchiveError naming `what`."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ArchiveError(f"{what}: not a valid zip archive ({exc})") from None
    if len(archive.filelist) > limits.max_members:
        archive.close()
        raise ArchiveError(f"{what}: holds more than {limits.max_members} entries")
    return archive


@contextmanager
def member_errors(name: str) -> Iterator[None]:
    """Any failure to decode the member `name` as an ArchiveError that names it."""
    try:
        yield
    except ArchiveError:
        raise
    except _READ_ERRORS as exc:
        raise ArchiveError(f"{name}: cannot be read ({type(exc).__name__}: {exc})") from None


class BoundedMember(io.RawIOBase):
    """A readable stream over one zip member that counts what it decodes and stops at the limits."""

    def __init__(
        self,
        archive: zipfile.ZipFile,
        info: zipfile.ZipInfo,
        budget: ByteBudget,
        name: str,
        max_bytes: int | None = None,
        too_large: str | None = None,
    ) -> None:
        super().__init__()
        self.info, self.budget, self.name = info, budget, name
        self.max_bytes = budget.limits.max_member_bytes if max_bytes is None else max_bytes
        self.too_large = too_large or f"decodes to more than {self.max_bytes} bytes"
        self.archive, self.position, self.count = (
            archive,
            0,
            0,
        )  # count: the most ever decoded (a re-read is free)
        with member_errors(name):
            self._raw = archive.open(info)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True  # back to the start only (a parser's second pass); see `seek`

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR and offset == 0:
            return self.position
        if whence != io.SEEK_SET or offset != 0:
            raise OSError("a zip member can only be rewound to its start")
        self._raw.close()
        with member_errors(self.name):
            self._raw = self.archive.open(self.info)
        self.position = 0
        return 0

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        with member_errors(self.name):
            data = self._raw.read(min(len(buffer), READ_CHUNK))
        self._account(len(data))
        buffer[: len(data)] = data
        return len(data)

    def _account(self, count: int) -> None:
        self.position += count
        if self.position <= self.count:
            return
        count, self.count = self.position - self.count, self.position
        if self.count > self.max_bytes:
            raise ArchiveError(f"{self.name}: {self.too_large}")
        ratio = self.budget.limits.max_ratio
        if self.count > RATIO_GRACE_BYTES and self.count > ratio * max(self.info.compress_size, 1):
            raise ArchiveError(f"{self.name}: compressed more than {ratio}:1 (a zip bomb?)")
        self.budget.spend(count, self.name)

    def close(self) -> None:
        raw = getattr(self, "_raw", None)  # absent when opening the member failed
        if raw is not None:
            raw.close()
        super().close()


def read_member(
    archive: zipfile.ZipFile,
    name: str,
    budget: ByteBudget,
    *,
    label: str | None = None,
    max_bytes: int | None = None,
) -> bytes:
    """A member's decoded bytes (a missing member is an ArchiveError too)."""
    label = label or name
    with member_errors(label):
        info = archive.getinfo(name)
    with BoundedMember(archive, info, budget, label, max_bytes) as member:
        return member.read()


def read_member_head(
    archive: zipfile.ZipFile, name: str, count: int, budget: ByteBudget, *, label: str | None = None
) -> bytes:
    """The first `count` decoded bytes of a member (only those are decompressed)."""
    label = label or name
    with member_errors(label):
        info = archive.getinfo(name)
    with BoundedMember(archive, info, budget, label) as member:
        return member.read(count)


def copy_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    sink: IO[bytes],
    budget: ByteBudget,
    *,
    label: str | None = None,
    max_bytes: int | None = None,
    too_large: str | None = None,
) -> int:
    """Stream one member into `sink`; answers the bytes written (`too_large`: the message past `max_bytes`)."""
    with BoundedMember(archive, info, budget, label or info.filename, max_bytes, too_large) as member:
        written = 0
        while chunk := member.read(READ_CHUNK):
            sink.write(chunk)
            written += len(chunk)
    return written
