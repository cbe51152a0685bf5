"""A zarr store that reads through to base stores: how volume layers saved before migration 0006 (the old
layout: zarr arrays per layer, forks reading through the original's prefix) are read, as the frozen base of
their version 0. Nothing writes to these stores any more (see docs/volume-storage.md).

Reads find a key in the own store first, then in each base in order; writes go to the own store only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from zarr.abc.store import ByteRequest, Store
from zarr.core.buffer import Buffer, BufferPrototype


class CopyOnWriteStore(Store):
    supports_writes = True
    supports_deletes = True
    supports_partial_writes = False
    supports_listing = True

    def __init__(self, own: Store, bases: Iterable[Store] = (), *, read_only: bool = False) -> None:
        super().__init__(read_only=read_only)
        self.own = own
        self.bases = list(bases)

    @property
    def _layers(self) -> list[Store]:
        return [self.own, *self.bases]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CopyOnWriteStore) and other._layers == self._layers

    def __hash__(self) -> int:
        return id(self)

    async def get(
        self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None = None
    ) -> Buffer | None:
        for store in self._layers:
            found = await store.get(key, prototype, byte_range)
            if found is not None:
                return found
        return None

    async def get_partial_values(
        self, prototype: BufferPrototype, key_ranges: Iterable[tuple[str, ByteRequest | None]]
    ) -> list[Buffer | None]:
        return [await self.get(key, prototype, byte_range) for key, byte_range in key_ranges]

    async def exists(self, key: str) -> bool:
        for store in self._layers:
            if await store.exists(key):
                return True
        return False

    async def exists_in_own(self, key: str) -> bool:
        return await self.own.exists(key)

    async def set(self, key: str, value: Buffer) -> None:
        self._check_writable()
        await self.own.set(key, value)

    async def delete(self, key: str) -> None:
        self._check_writable()
        await self.own.delete(key)

    async def _union(self, listings: list[AsyncIterator[str]]) -> AsyncIterator[str]:
        seen: set[str] = set()
        for listing in listings:
            async for key in listing:
                if key not in seen:
                    seen.add(key)
                    yield key

    def list(self) -> AsyncIterator[str]:
        return self._union([s.list() for s in self._layers])

    def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        return self._union([s.list_prefix(prefix) for s in self._layers])

    def list_dir(self, prefix: str) -> AsyncIterator[str]:
        return self._union([s.list_dir(prefix) for s in self._layers])
