"""A write's answer leaves only once this process has heard of the access changes committed so far.

With PostgreSQL every process learns of an access change (a revocation, a logout, a team change, …) from the
notification its listener receives when the change commits (`voxelhub.read_memo.EpochWatcher`), not by asking
the database on each request. The notification reaches all listeners at once, so holding the author's answer
until its own listener has heard closes the one window left: a client that gets "revoked" back and at once
asks any process — this one included — finds the change in force there. Only writes wait (reads change no
access), and only as long as one small query and one notification take; a database too slow for that delays
nothing beyond the deadline and the answer goes out (the looks then ask the database until a listener is back).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voxelhub.read_memo import ReadMemo

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HEAR_SECONDS = 1.0


class AccessChangesHeard:
    def __init__(self, app: ASGIApp, memo: ReadMemo) -> None:
        self.app = app
        self.memo = memo

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READ_METHODS:
            await self.app(scope, receive, send)
            return

        async def send_once_heard(message: Message) -> None:
            if message["type"] == "http.response.start":
                try:
                    await self.memo.caught_up(HEAR_SECONDS)
                except Exception:  # noqa: BLE001 - the write is committed; its answer must still go out
                    pass
            await send(message)

        await self.app(scope, receive, send_once_heard)
