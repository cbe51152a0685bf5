"""Share links of datasets: the default link, further named links with expiry, revocation, usage."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxelhub.datasets.models import Dataset
from voxelhub.db import utcnow
from voxelhub.errors import BadInput, NotFound
from voxelhub.ids import new_secret_token, token_digest
from voxelhub.policy import Action, Actor, authorize, can, require_user
from voxelhub.sharing import audit
from voxelhub.sharing.models import AuditEvent, ShareLink

DATASET = "dataset"


def _active_links(session: Session, dataset: Dataset) -> list[ShareLink]:
    stmt = select(ShareLink).where(
        ShareLink.object_kind == DATASET, ShareLink.object_id == dataset.id, ShareLink.revoked_at.is_(None)
    )
    return list(session.scalars(stmt.order_by(ShareLink.created_at)))


def default_link(*, session: Session, actor: Actor, dataset: Dataset) -> ShareLink | None:
    """The dataset's active sharing link, or None; never creates one (what every read path uses)."""
    authorize(actor, Action.GET_SHARING_LINK, dataset)
    return next((link for link in _active_links(session, dataset) if link.is_default), None)


def active_default_tokens(session: Session, dataset_ids: set[str]) -> dict[str, str]:
    """Dataset id -> token of its active sharing link, for many datasets in one query (listings). Only
    read; whether the caller may see a token is for the caller to ask the policy."""
    if not dataset_ids:
        return {}
    stmt = (
        select(ShareLink.object_id, ShareLink.token)
        .where(
            ShareLink.object_kind == DATASET,
            ShareLink.object_id.in_(dataset_ids),
            ShareLink.is_default,
            ShareLink.revoked_at.is_(None),
        )
        .order_by(ShareLink.created_at)
    )
    found: dict[str, str] = {}
    for dataset_id, token in session.execute(stmt):
        found.setdefault(dataset_id, token)
    return found


def get_or_create_default_link(*, session: Session, actor: Actor, dataset: Dataset) -> ShareLink:
    """The dataset's sharing link, created when there is none (spec: any member who may read it). Only an
    explicit request may call this: `POST …/sharingToken`, or an editor's `GET …/sharingToken`
    (`sharing_token_on_get`); a read path never does, or it would undo a revocation behind the editor's back."""
    link = default_link(session=session, actor=actor, dataset=dataset)
    if link is not None:
        return link
    return _new_link(session, actor, dataset, name="Sharing link", is_default=True, expires_at=None)


def sharing_token_on_get(*, session: Session, actor: Actor, dataset: Dataset) -> ShareLink:
    """`GET …/sharingToken`: the active sharing link. An editor's GET creates one when there is none, as
    webKnossos does (its Python client and the settings page rely on it); anyone else's GET changes nothing
    and finds no link after a revocation until an editor, or an explicit POST, makes a new one."""
    if can(actor, Action.REVOKE_SHARING_LINK, dataset):  # the editors, who manage the dataset's links
        return get_or_create_default_link(session=session, actor=actor, dataset=dataset)
    link = default_link(session=session, actor=actor, dataset=dataset)
    if link is None:
        raise NotFound("this dataset has no active sharing link; POST to the same address creates one")
    return link


def create_named_link(
    *, session: Session, actor: Actor, dataset: Dataset, name: str, expires_at: datetime | None
) -> ShareLink:
    """A further link with its own name and optional expiry (a time without a zone is UTC), revocable on its
    own (editors)."""
    authorize(actor, Action.EDIT, dataset)
    name = name.strip()
    if not name or len(name) > 200:
        raise BadInput("name: 1-200 characters")
    if expires_at is not None and expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    if expires_at is not None and expires_at <= utcnow():
        raise BadInput("expiresAt: must lie in the future")
    return _new_link(session, actor, dataset, name=name, is_default=False, expires_at=expires_at)


def _new_link(
    session: Session,
    actor: Actor,
    dataset: Dataset,
    *,
    name: str,
    is_default: bool,
    expires_at: datetime | None,
) -> ShareLink:
    token = new_secret_token()
    link = ShareLink(
        object_kind=DATASET,
        object_id=dataset.id,
        organization_id=dataset.organization_id,
        name=name,
        is_default=is_default,
        token=token,
        token_digest=token_digest(token),
        expires_at=expires_at,
        created_by=require_user(actor).user_id,
    )
    session.add(link)
    session.flush()
    audit.record(
        session,
        actor=actor,
        organization_id=dataset.organization_id,
        object_kind=DATASET,
        object_id=dataset.id,
        action="link_created",
        linkId=link.id,
        name=name,
        expiresAt=expires_at.isoformat() if expires_at else None,
    )
    return link


def revoke_default_link(*, session: Session, actor: Actor, dataset: Dataset) -> None:
    authorize(actor, Action.REVOKE_SHARING_LINK, dataset)
    for link in _active_links(session, dataset):
        if link.is_default:
            _revoke(session, actor, dataset, link)


def revoke_link(*, session: Session, actor: Actor, dataset: Dataset, link_id: str) -> ShareLink:
    authorize(actor, Action.REVOKE_SHARING_LINK, dataset)
    link = session.get(ShareLink, link_id)
    if link is None or link.object_kind != DATASET or link.object_id != dataset.id:
        raise NotFound()
    if link.revoked_at is None:
        _revoke(session, actor, dataset, link)
    return link


def _revoke(session: Session, actor: Actor, dataset: Dataset, link: ShareLink) -> None:
    link.revoked_at = utcnow()
    link.revoked_by = require_user(actor).user_id
    audit.record(
        session,
        actor=actor,
        organization_id=dataset.organization_id,
        object_kind=DATASET,
        object_id=dataset.id,
        action="link_revoked",
        linkId=link.id,
        name=link.name,
    )
    session.flush()


def list_links(*, session: Session, actor: Actor, dataset: Dataset) -> list[ShareLink]:
    """Every link of the dataset, revoked ones too, with usage (editors)."""
    authorize(actor, Action.EDIT, dataset)
    stmt = select(ShareLink).where(ShareLink.object_kind == DATASET, ShareLink.object_id == dataset.id)
    return list(session.scalars(stmt.order_by(ShareLink.created_at.desc())))


def audit_log(*, session: Session, actor: Actor, dataset: Dataset) -> list[AuditEvent]:
    authorize(actor, Action.READ_AUDIT, dataset)
    return audit.events_for(session, object_kind=DATASET, object_id=dataset.id)
