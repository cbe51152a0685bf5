"""Reading WKW volume data (the webknossos-wrap format older webKnossos versions put in `data_<layer>.zip`).

A WKW file holds a cube of `file_len³` blocks of `block_len³` voxels, blocks in Morton (Z-curve) order with x
as the lowest bit, each block in Fortran order (x fastest). Blocks are raw or LZ4-compressed; compressed files
carry a jump table with the end offset of every block. Files are named `z{Z}/y{Y}/x{X}.wkw` after their
position in file units. Format: https://github.com/scalableminds/webknossos-wrap (header layout below).

Only reading, only single-channel voxels (what volume annotations hold), and nothing is trusted: every size
is checked before it is used, every LZ4 block decodes into at most its block size, and files and blocks are
counted against the upload's `ByteBudget`, so a hostile archive gets a `WkwError` or `ArchiveError`, never a
huge allocation.
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import numcodecs
import numpy as np

from voxelhub.storage.archives import ByteBudget, read_member, read_member_head

HEADER = struct.Struct(
    "<3sBBBBBQ"
)  # magic, version, log2 lengths, block type, voxel type, voxel size, offset
VOXEL_TYPES = {
    1: "uint8",
    2: "uint16",
    3: "uint32",
    4: "uint64",
    5: "float32",
    6: "float64",
    7: "int8",
    8: "int16",
    9: "int32",
    10: "int64",
}
RAW, LZ4, LZ4HC = 1, 2, 3
MAX_BLOCK_VOXELS = 256**3
_FILE_NAME = re.compile(r"^z(\d{1,9})/y(\d{1,9})/x(\d{1,9})\.wkw$")


class WkwError(ValueError):
    """Not a readable WKW file."""


@dataclass(frozen=True)
class WkwHeader:
    block_len: int
    file_len: int
    block_type: int
    dtype: np.dtype
    data_offset: int

    @property
    def block_bytes(self) -> int:
        return self.block_len**3 * self.dtype.itemsize

    @property
    def blocks(self) -> int:
        return self.file_len**3


def parse_header(raw: bytes, name: str) -> WkwHeader:
    if len(raw) < HEADER.size:
        raise WkwError(f"{name}: shorter than a WKW header")
    magic, version, lengths, block_type, voxel_type, voxel_size, offset = HEADER.unpack_from(raw)
    if magic != b"WKW" or version != 1:
        raise WkwError(f"{name}: not a WKW version 1 file")
    if block_type not in (RAW, LZ4, LZ4HC) or voxel_type not in VOXEL_TYPES:
        raise WkwError(f"{name}: unknown block type {block_type} or voxel type {voxel_type}")
    dtype = np.dtype(VOXEL_TYPES[voxel_type]).newbyteorder("<")
    if voxel_size != dtype.itemsize:
        raise WkwError(f"{name}: {voxel_size // max(dtype.itemsize, 1)} channels; volume layers hold one")
    header = WkwHeader(
        block_len=1 << (lengths & 0x0F),
        file_len=1 << (lengths >> 4),
        block_type=block_type,
        dtype=dtype,
        data_offset=offset,
    )
    if header.block_len**3 > MAX_BLOCK_VOXELS or header.blocks > 1 << 15:
        raise WkwError(f"{name}: blocks of {header.block_len}³ in files of {header.file_len}³ are too large")
    return header


def morton_to_xyz(index: int) -> tuple[int, int, int]:
    """Block position inside a file from its Morton index (bit 3k is x, 3k+1 is y, 3k+2 is z)."""
    xyz = [0, 0, 0]
    bit = 0
    while index:
        for axis in range(3):
            xyz[axis] |= (index & 1) << bit
            index >>= 1
        bit += 1
    return xyz[0], xyz[1], xyz[2]


def _block_spans(raw: bytes, header: WkwHeader, name: str) -> list[tuple[int, int]]:
    if header.block_type == RAW:
        return [
            (header.data_offset + i * header.block_bytes, header.data_offset + (i + 1) * header.block_bytes)
            for i in range(header.blocks)
        ]
    table_end = HEADER.size + 8 * header.blocks
    if len(raw) < table_end:
        raise WkwError(f"{name}: the jump table is cut short")
    ends = struct.unpack_from(f"<{header.blocks}Q", raw, HEADER.size)
    starts = (header.data_offset, *ends[:-1])
    return list(zip(starts, ends, strict=True))


def read_blocks(
    raw: bytes, name: str, budget: ByteBudget
) -> Iterator[tuple[tuple[int, int, int], np.ndarray]]:
    """(block position inside the file, voxels as an x, y, z array) for every block of one WKW file."""
    header = parse_header(raw, name)
    codec = numcodecs.LZ4()
    for index, (start, end) in enumerate(_block_spans(raw, header, name)):
        if not HEADER.size <= start <= end <= len(raw):
            raise WkwError(f"{name}: block {index} lies outside the file")
        data = raw[start:end]
        if header.block_type != RAW and start == end:
            continue  # a block never written
        budget.spend(header.block_bytes, name)
        if header.block_type != RAW:
            try:
                data = codec.decode(struct.pack("<i", header.block_bytes) + data)
            except (RuntimeError, ValueError, struct.error) as exc:
                raise WkwError(f"{name}: block {index} does not decompress ({exc})") from None
        if len(data) != header.block_bytes:
            raise WkwError(f"{name}: block {index} holds {len(data)} bytes, not {header.block_bytes}")
        voxels = np.frombuffer(data, dtype=header.dtype).reshape((header.block_len,) * 3, order="F")
        yield morton_to_xyz(index), voxels


@dataclass(frozen=True)
class WkwBlock:
    offset: tuple[int, int, int]  # in voxels of its mag
    voxels: np.ndarray  # x, y, z


def mag_files(names: list[str], folder: str) -> list[tuple[str, tuple[int, int, int]]]:
    """The data files of one mag folder with their file positions (header.wkw and other names skipped)."""
    found = []
    for name in names:
        if not name.startswith(folder + "/"):
            continue
        match = _FILE_NAME.match(name[len(folder) + 1 :])
        if match:
            z, y, x = (int(v) for v in match.groups())
            found.append((name, (x, y, z)))
    return found


def read_mag(zf: zipfile.ZipFile, folder: str, budget: ByteBudget) -> Iterator[WkwBlock]:
    """Every block of one mag folder inside a zip, with its voxel offset."""
    for name, (fx, fy, fz) in mag_files(zf.namelist(), folder):
        raw = read_member(zf, name, budget)
        header = parse_header(raw, name)
        span = header.block_len * header.file_len
        for (bx, by, bz), voxels in read_blocks(raw, name, budget):
            offset = (
                fx * span + bx * header.block_len,
                fy * span + by * header.block_len,
                fz * span + bz * header.block_len,
            )
            yield WkwBlock(offset=offset, voxels=voxels)


def mag_dtype(zf: zipfile.ZipFile, folder: str, budget: ByteBudget) -> np.dtype | None:
    """The voxel type of a mag folder, from its header.wkw or its first data file."""
    names = zf.namelist()
    candidates = [f"{folder}/header.wkw"] if f"{folder}/header.wkw" in names else []
    candidates += [name for name, _ in mag_files(names, folder)[:1]]
    for name in candidates:
        return parse_header(read_member_head(zf, name, HEADER.size, budget), name).dtype
    return None
