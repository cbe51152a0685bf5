"""The addresses the server writes into its answers and pages: its own origin and the paths of its pages.

One place for their shapes, so that the API and the pages hand out the same links. Only strings are
built here: who may see a link (and its token) is the policy's question, asked by the callers."""

from __future__ import annotations

from voxelhub.datasets.models import Dataset
from voxelhub.settings import Settings


def server_origin(settings: Settings) -> str:
    """This server's origin for absolute links and for "is this link into this server?": the configured public
    URL only. A request's Host header is deliberately never read: the visitor chooses it, and trusting it let a
    spoofed Host turn a short link into an open redirect."""
    return settings.public_url


def dataset_slug(dataset: Dataset) -> str:
    """`{name}-{id}` in page paths: the id decides, the name is there for people reading the URL."""
    return f"{dataset.name}-{dataset.id}"


def dataset_view_url(origin: str, dataset: Dataset, token: str) -> str:
    """The dataset's viewer page opened with a sharing token (what a share link hands out)."""
    return f"{origin}/datasets/{dataset_slug(dataset)}/view?token={token}"


def annotation_url(origin: str, annotation_id: str) -> str:
    return f"{origin}/annotations/{annotation_id}"
