// The three orthogonal planes and the mapping between screen pixels and voxels (mag-1 coordinates).
//
// `zoom` is mag-1 voxels per screen pixel along the axis with the smallest voxel size; an axis with larger
// voxels (anisotropic data) gets proportionally more pixels, so the picture keeps its physical proportions.

export const PLANES = [
  { id: "xy", label: "XY", u: 0, v: 1, w: 2, color: "#e5484d" },
  { id: "yz", label: "YZ", u: 2, v: 1, w: 0, color: "#3e8ef7" },
  { id: "xz", label: "XZ", u: 0, v: 2, w: 1, color: "#30a46c" },
];

export const AXES = ["x", "y", "z"];

/** Screen pixels per mag-1 voxel along each axis. */
export function pixelsPerVoxel(zoom, relScale) {
  return relScale.map((s) => s / zoom);
}

/** A plane's view: what is needed to go from screen (CSS pixels) to voxels and back. */
export function planeView(plane, position, zoom, relScale, width, height) {
  const ppv = pixelsPerVoxel(zoom, relScale);
  const pu = ppv[plane.u];
  const pv = ppv[plane.v];
  return {
    plane, width, height, position, zoom, pu, pv,
    // visible range in mag-1 voxels along u and v
    uMin: position[plane.u] - width / 2 / pu, uMax: position[plane.u] + width / 2 / pu,
    vMin: position[plane.v] - height / 2 / pv, vMax: position[plane.v] + height / 2 / pv,
    toScreen(p) {
      return [(p[plane.u] - position[plane.u]) * pu + width / 2, (p[plane.v] - position[plane.v]) * pv + height / 2];
    },
    toVoxel(sx, sy) {
      const p = position.slice();
      p[plane.u] = position[plane.u] + (sx - width / 2) / pu;
      p[plane.v] = position[plane.v] + (sy - height / 2) / pv;
      return p;
    },
  };
}
