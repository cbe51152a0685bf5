"""Runs INSIDE the interop venv (the real `webknossos` client, tensorstore, zarr), never in voxelhub's venv.

    python wk_client.py COMMAND ARGS...

Each command prints one JSON line (its result) as the last line of stdout; a failure exits non-zero with the
exception on stderr. Server, token and context come from the environment exactly as a user's script would
have them (WK_URL / WK_TOKEN), or from the URL given.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

warnings.simplefilter("ignore")  # the client warns about optional image readers and context URLs

import numpy as np  # noqa: E402
import webknossos as wk  # noqa: E402


def _skeleton_json(annotation: wk.Annotation) -> list[dict]:
    trees = []
    for tree in annotation.skeleton.flattened_trees():
        trees.append(
            {
                "id": tree.id,
                "name": tree.name,
                "nodes": sorted([node.id, [float(v) for v in node.position]] for node in tree.nodes),
                "edges": sorted(sorted([a.id, b.id]) for a, b in tree.edges),
            }
        )
    return sorted(trees, key=lambda t: t["id"])


def open_dataset(url: str, out_dir: str) -> dict:
    """RemoteDataset.open(url); read every mag of every layer in full and save it as .npy."""
    ds = wk.RemoteDataset.open(url)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    layers = {}
    for name, layer in ds.layers.items():
        mags = {}
        for mag in layer.mags:
            data = layer.get_mag(mag).read()
            file = out / f"{name}-{mag.to_layer_name()}.npy"
            np.save(file, data)
            mags[mag.to_layer_name()] = {
                "file": str(file),
                "shape": list(data.shape),
                "dtype": str(data.dtype),
            }
        bbox = layer.bounding_box
        layers[name] = {
            "category": layer.category,
            "dtype": str(layer.dtype_per_channel),
            "topLeft": list(bbox.topleft.to_tuple()),
            "size": list(bbox.size.to_tuple()),
            "mags": mags,
        }
    return {"datasetId": ds.dataset_id, "name": ds.name, "voxelSize": list(ds.voxel_size), "layers": layers}


def list_datasets(organization_id: str = "") -> dict:
    """RemoteDataset.list() in the context given by WK_URL / WK_TOKEN; names are read lazily per dataset."""
    datasets = wk.RemoteDataset.list(organization_id=organization_id or None)
    return {"ids": sorted(datasets.keys())}


def download_annotation(url: str) -> dict:
    annotation = wk.Annotation.download(url)
    return {
        "name": annotation.name,
        "annotationId": annotation.annotation_id,
        "datasetId": annotation.dataset_id,
        "datasetName": annotation.dataset_name,
        "trees": _skeleton_json(annotation),
    }


def upload_annotation(spec_json: str) -> dict:
    """Builds an annotation from {name, datasetId, datasetName, voxelSize, trees:[{name, nodes:[[x,y,z]…],
    edges:[[i,j]…]}]} (edges index into that tree's node list) and uploads it with the context's token."""
    spec = json.loads(spec_json)
    annotation = wk.Annotation(
        name=spec["name"], dataset_name=spec["datasetName"], voxel_size=tuple(spec["voxelSize"])
    )
    annotation.dataset_id = spec["datasetId"]
    for tree_spec in spec["trees"]:
        tree = annotation.skeleton.add_tree(tree_spec["name"])
        nodes = [tree.add_node(position=tuple(p)) for p in tree_spec["nodes"]]
        for i, j in tree_spec["edges"]:
            tree.add_edge(nodes[i], nodes[j])
    url = annotation.upload()
    return {"url": url, "annotationId": wk.Annotation.id_from_url(url)}


def read_annotation_volumes(zip_path: str, boxes_json: str, out_dir: str) -> dict:
    """Annotation.load(zip) and, per volume layer, its segments and the voxels of each box
    ({mag: "2-2-1", offset: [x,y,z], size: [x,y,z]} in mag-1 voxels), read through the client's own
    export of the layer to a dataset (so through its own zarr3/WKW readers), saved as .npy."""
    annotation = wk.Annotation.load(zip_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    boxes = json.loads(boxes_json)
    layers = []
    for index, name in enumerate(annotation.get_volume_layer_names()):
        segments = annotation.get_volume_layer_segments(volume_layer_name=name)
        files = []
        with annotation.temporary_volume_layer_copy(volume_layer_name=name) as layer:
            for k, box in enumerate(boxes.get(name, [])):
                data = layer.get_mag(box["mag"]).read(
                    absolute_offset=tuple(box["offset"]), size=tuple(box["size"])
                )
                file = out / f"{index}-{k}.npy"
                np.save(file, data)
                files.append(str(file))
            mags = sorted(m.to_layer_name() for m in layer.mags)
        layers.append(
            {
                "name": name,
                "mags": mags,
                "files": files,
                "segments": {str(i): s.name for i, s in sorted(segments.items())},
            }
        )
    return {"layers": layers, "name": annotation.name}


def tensorstore_read(array_url: str, out_file: str, zarr_format: str) -> dict:
    """Open one mag array over plain HTTP with tensorstore (no token header: the token is in the path)."""
    import tensorstore as ts

    driver = "zarr3" if zarr_format == "3" else "zarr"
    store = ts.open(
        {"driver": driver, "kvstore": {"driver": "http", "base_url": array_url.rstrip("/") + "/"}}, read=True
    ).result()
    data = store.read().result()
    np.save(out_file, data)
    return {"shape": list(data.shape), "dtype": str(data.dtype), "file": out_file}


COMMANDS = {
    "open_dataset": open_dataset,
    "list_datasets": list_datasets,
    "download_annotation": download_annotation,
    "upload_annotation": upload_annotation,
    "tensorstore_read": tensorstore_read,
    "read_annotation_volumes": read_annotation_volumes,
}

if __name__ == "__main__":
    result = COMMANDS[sys.argv[1]](*sys.argv[2:])
    print(json.dumps(result))
