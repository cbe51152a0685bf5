"""The surface of a voxel mask as a closed triangle mesh, in numpy alone.

Why not marching cubes (scikit-image's `measure.marching_cubes`): it would bring scikit-image and SciPy
(about 50 MB of wheels, several times that installed) for one route that meshes one segment at a coarse mag.
Here every face between a voxel of the mask and one outside it becomes a quad (two triangles), corners are
shared (welded), and Taubin smoothing (a Laplacian step, then a slightly larger step back, which keeps the
volume where plain Laplacian smoothing shrinks it) takes off the staircase. The result is watertight (every
edge belongs to an even number of triangles, exactly two where the mask is manifold), its triangles are
wound counter-clockwise seen from outside, and its vertices are kept inside the mask's bounding box.
"""

from __future__ import annotations

import numpy as np

SMOOTHING_PASSES = 6  # each a shrinking and an inflating step
SHRINK = 0.5
INFLATE = -0.53

# A quad's corners in the (u, v) plane of a face whose normal is +w, counter-clockwise seen from +w
# (u = w+1, v = w+2 cyclically, so e_u × e_v = e_w).
_CORNERS = np.array([[0, 0], [1, 0], [1, 1], [0, 1]])


class SurfaceTooLarge(ValueError):
    """The surface would have more triangles than the caller allows."""


def voxel_surface(
    mask: np.ndarray, smoothing: int = SMOOTHING_PASSES, max_triangles: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(vertices, triangles) of the boundary of `mask` (bool, indexed x, y, z): vertices float32 (V, 3) in
    voxel-corner units (voxel (i, j, k) spans [i, i+1] × [j, j+1] × [k, k+1]), triangles uint32 (T, 3).
    SurfaceTooLarge, before the costly part, when it would have more than `max_triangles` triangles."""
    if mask.ndim != 3:
        raise ValueError("the mask must be three-dimensional")
    padded = np.pad(mask.astype(bool, copy=False), 1)
    if max_triangles is not None:
        faces = sum(int(np.count_nonzero(np.diff(padded, axis=w))) for w in range(3))
        if 2 * faces > max_triangles:
            raise SurfaceTooLarge(f"the surface has {2 * faces} triangles, more than {max_triangles}")
    quads = [q for axis in range(3) for q in _axis_quads(padded, axis)]
    if not quads:
        return np.zeros((0, 3), np.float32), np.zeros((0, 3), np.uint32)
    corners = np.concatenate(quads)  # (Q, 4, 3) integer corners in the padded frame
    dims = np.array(padded.shape, np.int64) + 1
    keys = (corners[..., 0] * dims[1] + corners[..., 1]) * dims[2] + corners[..., 2]
    unique, inverse = np.unique(keys.ravel(), return_inverse=True)
    vertices = np.stack(
        [unique // (dims[1] * dims[2]), (unique // dims[2]) % dims[1], unique % dims[2]], axis=1
    ).astype(np.float32)
    vertices -= 1  # back from the padded frame
    index = inverse.reshape(-1, 4).astype(np.uint32)
    triangles = np.concatenate([index[:, [0, 1, 2]], index[:, [0, 2, 3]]])
    if smoothing:
        low, high = vertices.min(axis=0), vertices.max(axis=0)
        for _ in range(smoothing):
            vertices = _smoothed(_smoothed(vertices, triangles, SHRINK), triangles, INFLATE)
        vertices = np.clip(vertices, low, high)  # the inflating step may overshoot the box by a hair
    return vertices, triangles


def _axis_quads(padded: np.ndarray, w: int) -> list[np.ndarray]:
    """The quads of the faces normal to axis `w`: (Q, 4, 3) corners, wound so the normal points outwards."""
    u, v = (w + 1) % 3, (w + 2) % 3
    step = np.diff(padded.view(np.int8), axis=w)  # -1: inside then outside (normal +w); +1: the reverse
    out = []
    for sign, order in ((-1, [0, 1, 2, 3]), (1, [0, 3, 2, 1])):
        at = np.nonzero(step == sign)
        if not len(at[0]):
            continue
        base = np.stack(at, axis=1).astype(np.int64)
        base[:, w] += 1  # the face lies between voxel i and i+1 along w: at corner coordinate i+1
        quad = np.repeat(base[:, None, :], 4, axis=1)
        quad[:, :, u] += _CORNERS[order, 0]
        quad[:, :, v] += _CORNERS[order, 1]
        out.append(quad)
    return out


def _smoothed(vertices: np.ndarray, triangles: np.ndarray, weight: float) -> np.ndarray:
    """One Laplacian step: each vertex moves `weight` of the way to the mean of its neighbours (away if < 0)."""
    edges = np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]]).astype(
        np.int64
    )
    # Over a closed, consistently wound surface each edge appears once in each direction: both ends get the other.
    n = len(vertices)
    counts = np.bincount(edges[:, 0], minlength=n).astype(np.float64)
    ends = vertices[edges[:, 1]].astype(np.float64)
    sums = np.stack([np.bincount(edges[:, 0], weights=ends[:, i], minlength=n) for i in range(3)], axis=1)
    mean = sums / np.maximum(counts, 1)[:, None]
    return (vertices + weight * (mean - vertices)).astype(np.float32)
