"""Volume history through the routes: a copy is a snapshot, any version reads back, restore makes an old
version the newest, and volume saves appear in the history with their author."""

from __future__ import annotations

import numpy as np

from tests.annotations.test_volumes import painted, read, synthetic, volume_setup  # noqa: F401 (fixtures)
from tests.factories import logged_in_client


def paint(client, annotation_id: str, version: int, position: list[int], value: int) -> int:  # type: ignore[no-untyped-def]
    saved = client.post(
        f"/api/annotations/{annotation_id}/layers/Volume/buckets",
        json={
            "version": version,
            "buckets": [{"mag": [1, 1, 1], "position": position, "data": painted(value)}],
        },
    )
    assert saved.status_code == 200, saved.text
    return int(saved.json()["version"])


def read_at(client, annotation_id: str, position: list[int], version: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    from tests.datasets.helpers import decode

    answer = client.post(
        f"/data/annotations/{annotation_id}/layers/Volume/buckets?version={version}",
        json={"mag": [1, 1, 1], "buckets": [position]},
    )
    assert answer.status_code == 200, answer.text
    return decode(answer.content, "uint32", (32, 32, 32))


def test_the_originals_later_paints_never_reach_the_copy(app, volume_setup) -> None:  # noqa: F811
    world, _, owner, info = volume_setup
    paint(owner, info["id"], 0, [0, 0, 0], 5)
    colleague = logged_in_client(app, world.users["tm_a"])
    fork = colleague.post(f"/api/annotations/{info['id']}/duplicate").json()
    paint(owner, info["id"], 1, [0, 0, 0], 99)
    paint(owner, info["id"], 2, [1, 1, 1], 98)
    assert (read(colleague, fork["id"], [[0, 0, 0]])[0] == 5).all()
    assert not (read(colleague, fork["id"], [[1, 1, 1]])[0] == 98).any()
    paint(colleague, fork["id"], 0, [0, 0, 0], 7)
    assert (read(owner, info["id"], [[0, 0, 0]])[0] == 99).all()
    copy_of_copy = colleague.post(f"/api/annotations/{fork['id']}/duplicate").json()
    paint(colleague, fork["id"], 1, [0, 0, 0], 8)
    assert (read(colleague, copy_of_copy["id"], [[0, 0, 0]])[0] == 7).all()


def test_every_version_reads_back_and_restore_makes_an_old_one_the_newest(
    app,
    volume_setup,  # noqa: F811
    session_factory,
) -> None:
    world, _, owner, info = volume_setup
    for version, value in enumerate([11, 12, 13]):
        paint(owner, info["id"], version, [0, 0, 0], value)
    assert [int(read_at(owner, info["id"], [0, 0, 0], v)[0, 0, 0]) for v in (1, 2, 3)] == [11, 12, 13]
    assert (
        owner.post(
            f"/data/annotations/{info['id']}/layers/Volume/buckets?version=4",
            json={"mag": [1, 1, 1], "buckets": [[0, 0, 0]]},
        ).status_code
        == 404
    )
    stranger = logged_in_client(app, world.users["tm_a"])
    assert stranger.post(f"/api/annotations/{info['id']}/restore", json={"version": 1}).status_code == 403
    restored = owner.post(f"/api/annotations/{info['id']}/restore", json={"version": 1})
    assert restored.status_code == 200 and restored.json() == {"version": 4}
    assert (read(owner, info["id"], [[0, 0, 0]])[0] == 11).all()
    assert int(read_at(owner, info["id"], [0, 0, 0], 3)[0, 0, 0]) == 13  # history stays whole
    history = owner.get(f"/api/annotations/{info['id']}/history").json()
    assert [h["version"] for h in history] == [4, 3, 2, 1, 0]
    with session_factory() as session:
        author = world.user_id(session, "team_a")
    assert all(h["authorId"] == author and h["createdAt"] for h in history[:4])
    restored = owner.post(f"/api/annotations/{info['id']}/restore", json={"version": 0})
    assert not (read(owner, info["id"], [[0, 0, 0]])[0] == 11).all()  # version 0: the fallback shows again


def test_the_history_names_authors_and_kinds(app, volume_setup) -> None:  # noqa: F811
    _, _, owner, info = volume_setup
    paint(owner, info["id"], 0, [0, 0, 0], 3)
    assert owner.post(f"/api/annotations/{info['id']}/restore", json={"version": 0}).status_code == 200
    history = owner.get(f"/api/annotations/{info['id']}/history").json()
    assert [(h["version"], h["kind"]) for h in history] == [(2, "restore"), (1, "volume"), (0, "skeleton")]
    assert history[0]["restoredVersion"] == 0 and history[0]["authorName"] == "team a"
    page = owner.get(f"/annotations/{info['id']}")
    assert 'id="history-list"' in page.text and 'data-can-restore="true"' in page.text
