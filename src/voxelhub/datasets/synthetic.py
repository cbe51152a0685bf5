"""An EM-like synthetic volume: Voronoi cells with dark membranes, organelles, texture and noise.

Cells are the Voronoi regions of one jittered seed per grid cell, found at half resolution. Every voxel
only has to be compared with the seeds of the 27 grid cells around its own, and all voxels of one grid
cell share those 27 candidates — so the volume is laid out as (cell, voxel-in-cell) blocks and each
candidate costs a handful of broadcast passes, with no per-voxel gathers. That keeps a 512×512×256
volume at a few seconds of numpy on a small machine (no scipy needed).
"""

from __future__ import annotations

from itertools import product

import numpy as np

Vec3 = tuple[int, int, int]


class SeedGrid:
    """One jittered seed per grid cell (half-resolution voxel units), with per-cell brightness and organelles.

    Grid cells are `spacing` half-res voxels wide in x and y and twice that in z (neurite-like cells);
    distances along z count half, which makes the cells elongated. Cell ids are 1..count.
    """

    def __init__(self, size: Vec3, spacing: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.cell: Vec3 = (spacing, spacing, 2 * spacing)
        half = [-(-s // 2) for s in size]
        self.grid: Vec3 = (
            -(-half[0] // spacing) + 2,
            -(-half[1] // spacing) + 2,
            -(-half[2] // (2 * spacing)) + 2,
        )
        jitter = rng.uniform(0.15, 0.85, size=(*self.grid, 3)).astype(np.float32)
        index = np.stack(np.meshgrid(*[np.arange(g) - 1 for g in self.grid], indexing="ij"), axis=-1)
        self.points = ((index + jitter) * np.array(self.cell, np.float32)).astype(np.float32)
        self.count = int(np.prod(self.grid))
        self.brightness = rng.uniform(130, 190, size=self.count).astype(np.float32)
        self.organelle = rng.random(self.count) < 0.25

    def nearest(self, lo: Vec3, hi: Vec3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For half-res voxels [lo, hi): (cell id 1.., distance to own seed, gap to the second-nearest seed)."""
        c_lo = [lo[i] // self.cell[i] for i in range(3)]
        c_hi = [-(-hi[i] // self.cell[i]) for i in range(3)]
        n = [c_hi[i] - c_lo[i] for i in range(3)]
        coords = self._block_coords(c_lo, c_hi)
        shape = (n[0], n[1], n[2], *self.cell)
        best = np.full(shape, np.inf, np.float32)
        second = np.full(shape, np.inf, np.float32)
        ids = np.zeros(shape, np.int32)
        own = [np.arange(c_lo[i], c_hi[i]) + 1 for i in range(3)]  # grid index of each block's own cell
        for offset in product((-1, 0, 1), repeat=3):
            g = [np.clip(own[i] + offset[i], 0, self.grid[i] - 1) for i in range(3)]
            d2, flat = self._candidate(coords, g)
            closer = d2 < best
            np.minimum(second, d2, out=second)
            np.copyto(second, best, where=closer)
            np.copyto(best, d2, where=closer)
            np.copyto(ids, flat, where=closer)
        crop = tuple(slice(lo[i] - c_lo[i] * self.cell[i], hi[i] - c_lo[i] * self.cell[i]) for i in range(3))
        out = [_unblock(a)[crop] for a in (ids, best, second)]
        dist = np.sqrt(out[1])
        return out[0] + 1, dist, np.sqrt(out[2]) - dist

    def _block_coords(self, c_lo: list[int], c_hi: list[int]) -> list[np.ndarray]:
        """Voxel-centre coordinates per axis, shaped to broadcast over (nx, ny, nz, sx, sy, sz)."""
        coords = []
        for axis in range(3):
            cells = np.arange(c_lo[axis], c_hi[axis])[:, None] * self.cell[axis]
            values = (cells + np.arange(self.cell[axis])[None, :] + 0.5).astype(np.float32)
            shape = [1] * 6
            shape[axis], shape[axis + 3] = values.shape
            coords.append(values.reshape(shape))
        return coords

    def _candidate(self, coords: list[np.ndarray], g: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Squared (z-halved) distances to one candidate seed per block, and that seed's flat index."""
        gx, gy, gz = g[0][:, None, None], g[1][None, :, None], g[2][None, None, :]
        pts = self.points[gx, gy, gz][:, :, :, None, None, None, :]  # (nx, ny, nz, 1, 1, 1, 3)
        d2 = np.square(coords[0] - pts[..., 0])
        d2 = d2 + np.square(coords[1] - pts[..., 1])
        d2 = d2 + np.square((coords[2] - pts[..., 2]) * np.float32(0.5))
        flat = ((gx * self.grid[1] + gy) * self.grid[2] + gz).astype(np.int32)[:, :, :, None, None, None]
        return d2, flat


def _unblock(blocks: np.ndarray) -> np.ndarray:
    """(nx, ny, nz, sx, sy, sz) blocks -> (nx*sx, ny*sy, nz*sz) volume."""
    nx, ny, nz, sx, sy, sz = blocks.shape
    return blocks.transpose(0, 3, 1, 4, 2, 5).reshape(nx * sx, ny * sy, nz * sz)


def _upsample2(data: np.ndarray, shape: Vec3) -> np.ndarray:
    up = data.repeat(2, axis=0).repeat(2, axis=1).repeat(2, axis=2)
    return up[: shape[0], : shape[1], : shape[2]]


def synthetic_slab(
    cells: SeedGrid, size: Vec3, z0: int, depth: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Cell ids (uint32) and EM-like intensities (uint8), both (x, y, z), of mag-1 z range [z0, z0 + depth).

    `z0` must be even (half-resolution cells must line up between slabs).
    """
    lo = (0, 0, z0 // 2)
    hi = (-(-size[0] // 2), -(-size[1] // 2), -(-(z0 + depth) // 2))
    ids, dist, gap = cells.nearest(lo, hi)
    shade = cells.brightness[ids - 1]
    shade -= 95.0 * np.exp(-(gap**2) / 0.6)  # membranes: dark where two cells meet
    dark_blob = cells.organelle[ids - 1] & (dist < 2.6)
    shade = np.where(dark_blob, shade - 70.0, shade)  # organelles near some cell centres
    full = (size[0], size[1], depth)
    image = _upsample2(shade, full)
    image += rng.standard_normal(full, dtype=np.float32) * 14.0
    np.clip(image, 0, 255, out=image)
    return _upsample2(ids, full).astype(np.uint32), image.astype(np.uint8)
