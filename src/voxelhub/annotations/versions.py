"""Versioned skeleton saves.

Every save is a batch of update actions on top of a version the client names. The version check is a
conditional UPDATE (`... SET version = version + 1 WHERE version = :base`), so of two clients saving on the same
version exactly one wins and the other gets 409 with the current version; nothing is applied twice or lost.
Each version row stores its actions; every `SNAPSHOT_EVERY` versions (and at creation, import and fork) a
compact snapshot of the whole skeleton is stored too, so any version loads from the nearest snapshot plus a
few actions. Loaded skeletons are kept in the app's cache (`AppCaches.skeletons`) per (annotation, version):
versions never change once written, so the cache is correct in every process.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from voxelhub.accounts.models import User
from voxelhub.annotations import service
from voxelhub.annotations.models import Annotation, SkeletonVersion
from voxelhub.annotations.skeleton import facade as skeleton_facade
from voxelhub.app_caches import NO_CACHES, AppCaches
from voxelhub.db import utcnow
from voxelhub.errors import BadInput, Conflict, NotFound
from voxelhub.policy import Action, Actor, authorize, require_user
from voxelhub.settings import Settings

SNAPSHOT_EVERY = 50


def initialise(
    *,
    session: Session,
    annotation: Annotation,
    settings: Settings | None = None,
    skeleton: Any | None = None,
    caches: AppCaches = NO_CACHES,
) -> None:
    """Version 0 of a new annotation: an empty skeleton, or the imported one."""
    skeleton = skeleton if skeleton is not None else skeleton_facade.empty()
    session.add(
        SkeletonVersion(
            annotation_id=annotation.id,
            version=0,
            actions=[],
            snapshot=skeleton_facade.dump(skeleton),
            author_id=annotation.owner_id,
        )
    )
    annotation.version = 0
    session.flush()
    caches.skeletons.put((annotation.id, 0), skeleton)


def load(
    session: Session, annotation: Annotation, version: int | None = None, *, caches: AppCaches = NO_CACHES
) -> Any:
    """The skeleton at `version` (default: the current one), from the app's `caches` when they hold it."""
    version = annotation.version if version is None else version
    if version < 0 or version > annotation.version:
        raise NotFound(f"version {version} does not exist (current: {annotation.version})")
    return caches.skeletons.get_or_load(
        (annotation.id, version), lambda: _rebuild(session, annotation, version)
    )


def _rebuild(session: Session, annotation: Annotation, version: int) -> Any:
    """The skeleton at `version` from the database: the nearest snapshot, then the actions saved since."""
    base = session.scalar(
        select(SkeletonVersion)
        .where(
            SkeletonVersion.annotation_id == annotation.id,
            SkeletonVersion.version <= version,
            SkeletonVersion.snapshot.is_not(None),
        )
        .order_by(SkeletonVersion.version.desc())
        .limit(1)
    )
    if base is None or base.snapshot is None:
        raise NotFound("this annotation has no stored skeleton")
    skeleton = skeleton_facade.load(base.snapshot)
    later = session.scalars(
        select(SkeletonVersion)
        .where(
            SkeletonVersion.annotation_id == annotation.id,
            SkeletonVersion.version > base.version,
            SkeletonVersion.version <= version,
        )
        .order_by(SkeletonVersion.version)
    )
    for row in later:
        skeleton = skeleton_facade.apply(skeleton, row.actions)
    return skeleton


def claim_next_version(session: Session, annotation: Annotation, base_version: int) -> int:
    """Take version `base_version + 1` for this save, or answer 409 if another save got there first."""
    claimed: CursorResult[Any] = session.execute(  # type: ignore[assignment]  # an UPDATE's result has rowcount
        update(Annotation)
        .where(Annotation.id == annotation.id, Annotation.version == base_version)
        .values(version=base_version + 1, modified_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        current = session.scalar(select(Annotation.version).where(Annotation.id == annotation.id))
        raise Conflict(
            "the annotation changed since your version", currentVersion=current, yourVersion=base_version
        )
    session.refresh(annotation)
    return base_version + 1


def read(
    *,
    session: Session,
    actor: Actor,
    annotation_id: str,
    version: int | None = None,
    caches: AppCaches = NO_CACHES,
) -> tuple[Any, int]:
    """The skeleton at `version` (default: the current one) and that version, for whoever may read it."""
    annotation = service.get(session=session, actor=actor, annotation_id=annotation_id)
    wanted = annotation.version if version is None else version
    return load(session, annotation, wanted, caches=caches), wanted


def save(
    *,
    session: Session,
    actor: Actor,
    annotation_id: str,
    base_version: int,
    actions: list[dict[str, Any]],
    caches: AppCaches = NO_CACHES,
) -> int:
    """Apply skeleton `actions` atomically on top of `base_version`; answers the new version (owner only).
    409 when `base_version` is not the current version; 400 (with the action's index) when an action is
    invalid — and then nothing is stored."""
    annotation = service.get(session=session, actor=actor, annotation_id=annotation_id)
    authorize(actor, Action.WRITE, annotation)
    new_version = claim_next_version(session, annotation, base_version)
    skeleton = load(session, annotation, base_version, caches=caches)
    try:
        new_skeleton = skeleton_facade.apply(skeleton, actions)
    except skeleton_facade.ActionError as exc:
        raise BadInput(str(exc), actionIndex=exc.index) from exc
    if any(a.get("name") == "updateSkeletonTracing" for a in actions):
        # webKnossos clients save the view this way: the annotation's stored view follows.
        service.set_edit_view_from(annotation, new_skeleton.parameters)
    record(session, actor, annotation, new_version, actions, new_skeleton, caches=caches)
    return new_version


def record(
    session: Session,
    actor: Actor,
    annotation: Annotation,
    version: int,
    actions: list[dict[str, Any]],
    skeleton: Any,
    *,
    caches: AppCaches = NO_CACHES,
) -> None:
    """Store a version row (with a snapshot every SNAPSHOT_EVERY versions) and cache the skeleton."""
    session.add(
        SkeletonVersion(
            annotation_id=annotation.id,
            version=version,
            actions=actions,
            snapshot=skeleton_facade.dump(skeleton) if version % SNAPSHOT_EVERY == 0 else None,
            author_id=require_user(actor).user_id,
        )
    )
    session.flush()
    caches.skeletons.put((annotation.id, version), skeleton)


def history(*, session: Session, actor: Actor, annotation_id: str) -> list[SkeletonVersion]:
    """Every saved version, newest first, for whoever may read the annotation."""
    annotation = service.get(session=session, actor=actor, annotation_id=annotation_id)
    stmt = (
        select(SkeletonVersion)
        .where(SkeletonVersion.annotation_id == annotation.id)
        .order_by(SkeletonVersion.version.desc())
    )
    return list(session.scalars(stmt))


def describe(row: SkeletonVersion) -> dict[str, Any]:
    """What a version was: a skeleton save, a volume paint (updateBucket actions) or a restore (of which version)."""
    names = {a.get("name") for a in row.actions if isinstance(a, dict)}
    if "revertToVersion" in names:
        source = next(
            a.get("value", {}).get("sourceVersion") for a in row.actions if a.get("name") == "revertToVersion"
        )
        return {"kind": "restore", "restoredVersion": source}
    return {"kind": "volume" if names and names <= skeleton_facade.VOLUME_ACTIONS else "skeleton"}


def author_names(session: Session, rows: list[SkeletonVersion]) -> dict[str, str]:
    """user id -> "First Last" of the versions' authors."""
    ids = {row.author_id for row in rows if row.author_id}
    if not ids:
        return {}
    users = session.execute(select(User.id, User.first_name, User.last_name).where(User.id.in_(ids)))
    return {u.id: f"{u.first_name} {u.last_name}".strip() for u in users}


def copy_for_fork(
    session: Session, original: Annotation, fork: Annotation, *, caches: AppCaches = NO_CACHES
) -> None:
    """The fork starts at version 0 with the original's current skeleton as its snapshot."""
    skeleton = load(session, original, caches=caches)
    initialise(session=session, annotation=fork, skeleton=skeleton, caches=caches)
