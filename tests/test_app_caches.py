"""The caches: bounded as they say, and each app's own (two apps in one process share no entry, and an app
that shuts down empties its caches)."""

from __future__ import annotations

import threading
from dataclasses import fields

import pytest
from fastapi.testclient import TestClient

from tests.datasets.helpers import SIMPLE_ZARR3, register_folder
from tests.factories import build_world
from voxelhub.api.app import create_app
from voxelhub.app_caches import NO_CACHES, AppCaches
from voxelhub.caches import NO_CACHE, BoundedCache

CACHE_NAMES = [field.name for field in fields(AppCaches)]


def test_a_cache_forgets_the_least_recently_used_entry_beyond_its_count() -> None:
    cache: BoundedCache[str, int] = BoundedCache(3)
    for number, key in enumerate("abc"):
        cache.put(key, number)
    assert cache.get("a") == 0  # "a" is now the most recently used, "b" the least
    cache.put("d", 3)
    assert len(cache) == 3 and cache.get("b") is None
    assert [cache.get(key) for key in "acd"] == [0, 2, 3]


def test_a_cache_with_a_byte_bound_keeps_no_more_bytes_than_that() -> None:
    cache: BoundedCache[str, bytes] = BoundedCache(100, max_bytes=10, weigh=len)
    for key in "abc":
        cache.put(key, key.encode() * 4)
    assert len(cache) == 2 and cache.get("a") is None  # 12 bytes would not fit: the oldest went
    cache.put("b", b"b")  # replacing a value counts its new weight only
    cache.put("d", b"d" * 5)
    assert [cache.get(key) for key in "bcd"] == [b"b", b"cccc", b"ddddd"]
    cache.put("huge", b"x" * 11)  # larger than the whole bound: not kept, and nothing evicted for it
    assert cache.get("huge") is None and len(cache) == 3


def test_get_or_load_loads_a_key_once_and_clear_forgets() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    loads: list[str] = []

    def load(key: str) -> int:
        loads.append(key)
        return len(loads)

    assert [cache.get_or_load("k", lambda: load("k")) for _ in range(3)] == [1, 1, 1]
    cache.clear()
    assert cache.get_or_load("k", lambda: load("k")) == 2 and loads == ["k", "k"]


def test_a_cache_stays_within_its_bound_under_many_threads() -> None:
    cache: BoundedCache[int, int] = BoundedCache(16)

    def work(offset: int) -> None:
        for i in range(2000):
            cache.get_or_load((offset + i) % 50, lambda i=i: i)

    threads = [threading.Thread(target=work, args=(n * 7,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 16


def test_the_caches_of_code_outside_an_app_keep_nothing() -> None:
    NO_CACHE.put("key", 1)
    assert NO_CACHE.get_or_load("key", lambda: 2) == 2 and len(NO_CACHE) == 0
    assert all(getattr(NO_CACHES, name) is NO_CACHE for name in CACHE_NAMES)


def test_two_apps_share_no_entry_and_an_app_empties_its_caches_when_it_stops(
    settings, session_factory
) -> None:
    world = build_world(session_factory)
    dataset_id = register_folder(session_factory, world.org_ids["a"], SIMPLE_ZARR3, public=True)
    first, second = create_app(settings, migrate=False), create_app(settings, migrate=False)
    try:
        assert first.state.caches is not second.state.caches
        with TestClient(first, base_url="http://127.0.0.1") as client:
            assert client.get(f"/api/datasets/{dataset_id}/layers/color/thumbnail").status_code == 200
            filled = _sizes(first.state.caches)
            assert filled["thumbnails"] == filled["datasets"] == filled["arrays"] == 1
            assert _sizes(second.state.caches) == dict.fromkeys(filled, 0)
        assert _sizes(first.state.caches) == dict.fromkeys(filled, 0)  # the lifespan's end cleared them
    finally:
        for app in (first, second):
            app.state.engine.dispose()


def _sizes(caches: AppCaches) -> dict[str, int]:
    return {name: len(getattr(caches, name)) for name in CACHE_NAMES}


@pytest.mark.parametrize("name", CACHE_NAMES)
def test_every_app_cache_is_bounded(name: str) -> None:
    cache = getattr(AppCaches(), name)
    # A cache weighed in bytes may hold more (small) entries: its byte bound is what bounds it.
    most = 65536 if cache.max_bytes is not None and cache.max_bytes <= 1024**3 else 512
    assert isinstance(cache, BoundedCache) and 0 < cache.max_entries <= most
