"""Share-link usage counts add up across processes and reach the database within seconds of a use, even when
no further use follows (each process is a recorder of its own here)."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from tests.sharing.world import add_link, build_dataset_world
from voxelhub.db import transaction, utcnow
from voxelhub.sharing.models import ShareLink, ShareLinkVisit
from voxelhub.sharing.usage import UsageRecorder


def link_id_of(factory, token: str) -> str:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        return session.scalar(select(ShareLink.id).where(ShareLink.token == token))


def usage_of(factory, link_id: str) -> ShareLink:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        return session.get(ShareLink, link_id)


def wait_for_count(factory, link_id: str, expected: int) -> ShareLink:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 20  # generous: the recorders write within a fraction of a second here
    while True:
        link = usage_of(factory, link_id)
        if link.use_count == expected or time.monotonic() > deadline:
            return link
        time.sleep(0.05)


def test_a_single_use_is_written_without_a_later_use_or_a_read(session_factory):
    world = build_dataset_world(session_factory)
    link_id = link_id_of(session_factory, world.tokens["valid"])
    recorder = UsageRecorder(session_factory, flush_seconds=0.1)
    try:
        recorder.record(link_id)
        link = wait_for_count(session_factory, link_id, 1)
    finally:
        recorder.close()
    assert link.use_count == 1 and link.first_used_at is not None


def test_counts_of_several_processes_are_summed(session_factory):
    world = build_dataset_world(session_factory)
    link_id = link_id_of(session_factory, world.tokens["valid"])
    processes = [UsageRecorder(session_factory, flush_seconds=0.1) for _ in range(3)]
    try:
        for number, recorder in enumerate(processes, start=1):
            for _ in range(number):
                recorder.record(link_id)
        link = wait_for_count(session_factory, link_id, 6)
    finally:
        for recorder in processes:
            recorder.close()
    assert link.use_count == 6


def test_an_older_write_never_moves_last_use_back_nor_first_use_forward(session_factory):
    world = build_dataset_world(session_factory)
    with transaction(session_factory) as session:
        token = add_link(session, world.dataset_id, world.accounts.org_ids["a"], "valid")
    link_id = link_id_of(session_factory, token)
    late, early = (
        UsageRecorder(session_factory, flush_seconds=60),
        UsageRecorder(session_factory, flush_seconds=60),
    )
    late.record(link_id)
    late.flush()
    written = usage_of(session_factory, link_id)
    early.record(link_id)
    early._pending[link_id].first = early._pending[link_id].last = written.first_used_at - timedelta(hours=1)
    early.close()
    late.close()
    link = usage_of(session_factory, link_id)
    assert link.use_count == 2
    assert link.last_used_at == written.last_used_at
    assert link.first_used_at == written.first_used_at - timedelta(hours=1)
    assert link.last_used_at <= utcnow()


def test_a_failed_write_keeps_the_counts_for_the_next(session_factory, monkeypatch):
    world = build_dataset_world(session_factory)
    link_id = link_id_of(session_factory, world.tokens["valid"])
    recorder = UsageRecorder(session_factory, flush_seconds=60)
    recorder.record(link_id)
    recorder.record(link_id)
    original = UsageRecorder._add

    def failing(self, pending, visits):  # type: ignore[no-untyped-def]
        raise RuntimeError("database went away")

    monkeypatch.setattr(UsageRecorder, "_add", failing)
    try:
        recorder.flush()
    except RuntimeError:
        pass
    monkeypatch.setattr(UsageRecorder, "_add", original)
    recorder.close()
    assert usage_of(session_factory, link_id).use_count == 2


def visits_of(factory, link_id: str) -> list[ShareLinkVisit]:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        return list(session.scalars(select(ShareLinkVisit).where(ShareLinkVisit.link_id == link_id)))


def test_visits_are_distinct_visitors_per_hour_across_processes_and_never_raw(session_factory):
    world = build_dataset_world(session_factory)
    link_id = link_id_of(session_factory, world.tokens["valid"])
    processes = [UsageRecorder(session_factory, flush_seconds=60, visitor_key=b"k" * 32) for _ in range(2)]
    for recorder in processes:  # the same two visitors through both processes, many requests each
        for _ in range(5):
            recorder.record(link_id, "address:10.0.0.7")
            recorder.record(link_id, "session:cookie-value")
    for recorder in processes:
        recorder.close()
    visits = visits_of(session_factory, link_id)
    assert len(visits) == 2
    assert usage_of(session_factory, link_id).use_count == 20
    assert not any("10.0.0.7" in v.visitor or "cookie" in v.visitor for v in visits)


def test_a_failed_write_keeps_the_visits_and_a_deleted_link_drops_its_own(session_factory, monkeypatch):
    world = build_dataset_world(session_factory)
    link_id = link_id_of(session_factory, world.tokens["valid"])
    recorder = UsageRecorder(session_factory, flush_seconds=60)
    recorder.record(link_id, "address:10.0.0.7")
    recorder.record("no-such-link", "address:10.0.0.7")
    original = UsageRecorder._add_visits

    def failing(self, session, visits):  # type: ignore[no-untyped-def]
        raise RuntimeError("database went away")

    monkeypatch.setattr(UsageRecorder, "_add_visits", failing)
    try:
        recorder.flush()
    except RuntimeError:
        pass
    monkeypatch.setattr(UsageRecorder, "_add_visits", original)
    recorder.close()
    assert len(visits_of(session_factory, link_id)) == 1
