"""The page routes: start page (public gallery), login, dashboard, dataset settings, dataset view, annotation view.

Thin: each loads what the page shows through the services (which ask `voxelhub.policy`), then renders.
Interactive parts (saving settings, links, audit log, annotation lists) call the JSON API from small scripts.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from voxelhub.accounts import service as accounts
from voxelhub.annotations import service as annotation_service
from voxelhub.annotations.models import Annotation
from voxelhub.api.deps import SessionDep, SettingsDep
from voxelhub.datasets import service as datasets
from voxelhub.datasets.models import Dataset
from voxelhub.datasets.public import thumbnail_url
from voxelhub.errors import NotFound
from voxelhub.policy import Action, Actor, can
from voxelhub.redirects import local_target
from voxelhub.urls import dataset_slug, server_origin
from voxelhub.web.error_pages import PageRoute
from voxelhub.web.rendering import PageCallerDep, login_url, render
from voxelhub.web.social import annotation_card, dataset_card
from voxelhub.web.views import layer_views, neuroglancer_dimensions, voxel_size

router = APIRouter(route_class=PageRoute, include_in_schema=False, tags=["pages"])


def _id_from_slug(slug: str) -> str:
    """`{name}-{id}`: the id decides; the name is only there for people reading the URL."""
    name, sep, dataset_id = slug.rpartition("-")
    if not sep or not name:
        raise NotFound()
    return dataset_id


def _dataset_from_slug(slug: str, caller: PageCallerDep, session: SessionDep) -> Dataset:
    return datasets.get(session=session, actor=caller.actor, dataset_id=_id_from_slug(slug))


@router.get("/")
@router.get("/spotlight")  # webKnossos' address of the public gallery, which the sharing guide points to
def start_page(request: Request, caller: PageCallerDep, session: SessionDep) -> HTMLResponse:
    public = datasets.list_public(session=session)
    names = accounts.organization_names(session, {d.organization_id for d in public})
    gallery = [
        {
            "dataset": d,
            "slug": dataset_slug(d),
            "thumbnail": thumbnail_url(d),
            "organization": names.get(d.organization_id),
        }
        for d in public
    ]
    return render(request, "start.html", gallery=gallery)


@router.get("/auth/login")
def login_page(
    request: Request,
    caller: PageCallerDep,
    next_path: Annotated[str, Query(alias="next", max_length=2000)] = "",
) -> Response:
    # Only a path on this server: an open redirect would let a phishing link borrow our login page.
    target = local_target(next_path)
    if caller.login is not None:
        return RedirectResponse(target, status_code=303)
    return render(request, "login.html", next=target)


@router.get("/dashboard")
def dashboard(request: Request, caller: PageCallerDep, session: SessionDep) -> Response:
    if caller.login is None:
        return RedirectResponse(login_url("/dashboard"), status_code=303)
    rows = [
        {
            "dataset": d,
            "slug": dataset_slug(d),
            "editable": can(caller.actor, Action.EDIT, d),
            "thumbnail": thumbnail_url(d),
        }
        for d in datasets.list_readable(session=session, actor=caller.actor)
    ]
    organization = accounts.get_organization(session, caller.login.principal.organization_id)
    return render(
        request,
        "dashboard.html",
        rows=rows,
        can_add_datasets=can(caller.actor, Action.MANAGE_DATASETS, organization),
    )


@router.get("/datasets/{slug}/settings")
def dataset_settings(
    slug: str, request: Request, caller: PageCallerDep, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    dataset = datasets.get(
        session=session, actor=caller.actor, dataset_id=_id_from_slug(slug), action=Action.EDIT
    )
    teams = accounts.list_teams(session=session, actor=caller.actor, organization_id=dataset.organization_id)
    return render(
        request,
        "settings.html",
        dataset=dataset,
        slug=dataset_slug(dataset),
        teams=teams,
        allowed=dataset.allowed_team_ids,
        layer_names=[layer.name for layer in layer_views(dataset)],
        origin=server_origin(settings),
        neuroglancer_url=settings.neuroglancer_url,
        neuroglancer_dimensions=neuroglancer_dimensions(dataset),
    )


@router.get("/datasets/{slug}/view")
def dataset_view(
    slug: str,
    request: Request,
    caller: PageCallerDep,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    dataset = _dataset_from_slug(slug, caller, session)
    query = f"?token={quote(token, safe='')}" if token else ""
    return render(
        request,
        "view.html",
        dataset=dataset,
        slug=dataset_slug(dataset),
        layers=layer_views(dataset),
        voxel_size=voxel_size(dataset),
        query=query,
        editable=can(caller.actor, Action.EDIT, dataset),
        can_annotate=can(caller.actor, Action.CREATE_ANNOTATION, dataset),
        social=dataset_card(server_origin(settings), dataset),
    )


@router.get("/annotations/{annotation_id}")
def annotation_view(
    annotation_id: str,
    request: Request,
    caller: PageCallerDep,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """The viewer with the annotation's skeleton. Whoever may not read the annotation gets the 404 page; whoever
    may read it but not its dataset sees the annotation's name and a plain message, never the dataset's data."""
    annotation = annotation_service.get(session=session, actor=caller.actor, annotation_id=annotation_id)
    dataset = annotation_service.dataset_of(session, annotation)
    readable = can(caller.actor, Action.READ, dataset)
    query = f"?token={quote(token, safe='')}" if token else ""
    owner = annotation.owner
    owner_name = f"{owner.first_name} {owner.last_name}".strip() if owner else ""
    return render(
        request,
        "annotation.html",
        annotation=annotation,
        dataset=dataset if readable else None,
        slug=dataset_slug(dataset) if readable else "",
        layers=layer_views(dataset) if readable else [],
        voxel_size=voxel_size(dataset) if readable else "",
        query=query,
        logged_in=caller.login is not None,
        owner_name=owner_name,
        social=annotation_card(server_origin(settings), annotation, dataset, owner_name),
        **_annotation_actions(session, caller.actor, annotation),
    )


def _annotation_actions(session: Session, actor: Actor, annotation: Annotation) -> dict[str, Any]:
    """What the page offers besides the viewer: Rename and Share for the owner (the server refuses anyone else
    anyway), Download for whoever may download; the Share dialog's teams are the owner's organization's."""
    can_share = can(actor, Action.CHANGE_VISIBILITY, annotation)
    teams = (
        accounts.list_teams(session=session, actor=actor, organization_id=annotation.organization_id)
        if can_share
        else []
    )
    return {
        "can_rename": can(actor, Action.WRITE, annotation),
        "can_share": can_share,
        "can_download": can(actor, Action.DOWNLOAD, annotation),
        "teams": teams,
        "shared_team_ids": set(annotation.shared_team_ids),
    }
