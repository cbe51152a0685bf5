"""Open Graph and Twitter card tags for the pages that anyone may open and share "from social media or your
website" (webKnossos' sharing guide): a public dataset's viewer and a public annotation. Nothing for any other
page: a private dataset's or annotation's title, description or thumbnail must not leave through `<head>`,
whoever loads it (a link preview service fetches the page without the sharer's login)."""

from __future__ import annotations

from dataclasses import dataclass

from voxelhub.annotations.models import Annotation
from voxelhub.datasets.models import Dataset
from voxelhub.datasets.public import thumbnail_url
from voxelhub.urls import annotation_url, dataset_slug

DESCRIPTION_LIMIT = 300


@dataclass(frozen=True)
class SocialCard:
    title: str
    description: str
    url: str
    image: str | None

    @property
    def card(self) -> str:
        return "summary_large_image" if self.image else "summary"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 1].rstrip() + "…"


def _image(origin: str, dataset: Dataset) -> str | None:
    """The thumbnail only of a public dataset: any other would need a login or a token in the tag."""
    path = thumbnail_url(dataset) if dataset.is_public else None
    return f"{origin}{path}" if path else None


def dataset_card(origin: str, dataset: Dataset) -> SocialCard | None:
    if not dataset.is_public:
        return None
    title = dataset.display_name or dataset.name
    return SocialCard(
        title=title,
        description=_short(dataset.description or f"{title}: a 3D microscopy dataset, shared on voxelhub."),
        url=f"{origin}/datasets/{dataset_slug(dataset)}/view",
        image=_image(origin, dataset),
    )


def annotation_card(
    origin: str, annotation: Annotation, dataset: Dataset, owner_name: str
) -> SocialCard | None:
    if annotation.visibility != "Public":
        return None
    title = annotation.name or "Annotation"
    # The dataset's name only when it is public too: a public annotation may lie on a private dataset.
    on = f" on {dataset.display_name or dataset.name}" if dataset.is_public else ""
    by = f" by {owner_name}" if owner_name else ""
    return SocialCard(
        title=title,
        description=_short(annotation.description or f"An annotation{by}{on}, shared on voxelhub."),
        url=annotation_url(origin, annotation.id),
        image=_image(origin, dataset),
    )
