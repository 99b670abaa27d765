"""A base for local fake platform APIs (Telegram Bot API, Slack Web API, X API v2): an aiohttp app on 127.0.0.1 at a
free port, driven by the platforms' real client libraries.

Every fake records the calls it answered (``calls``, ``calls_to(method)``) and can be scripted to fail the next calls
of a method the way the real platform fails (``script(method, status, body, times)``: 429 with retry-after, 5xx ...).
Use it in async tests (``async with Fake() as api``) or, for tests that drive real ``crisisbot serve`` processes, in
a thread of its own (``with Fake().in_thread() as api``).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    status: int = 200


@dataclass
class Scripted:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class FakeApiServer:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._script: dict[str, list[Scripted]] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.loop: asyncio.AbstractEventLoop | None = None

    # ---- to implement ----------------------------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        raise NotImplementedError

    # ---- scripting and inspection ----------------------------------------------------------------------------------

    def script(self, method: str, status: int, body: dict[str, Any], times: int = 1,
               headers: dict[str, str] | None = None, after: int = 0) -> None:
        """After ``after`` more normal answers, the next ``times`` calls of ``method`` get this answer instead."""
        queue = self._script.setdefault(method, [])
        queue.extend([Scripted(-1, {})] * after)  # placeholders: answered normally
        queue.extend([Scripted(status, body, headers or {})] * times)

    def scripted(self, method: str) -> Scripted | None:
        queue = self._script.get(method)
        if not queue:
            return None
        item = queue.pop(0)
        return None if item.status < 0 else item

    def calls_to(self, method: str, *, ok_only: bool = False) -> list[Call]:
        return [c for c in self.calls if c.method == method and (not ok_only or c.status == 200)]

    def record(self, method: str, params: dict[str, Any], status: int = 200) -> Call:
        call = Call(method, params, status=status)
        self.calls.append(call)
        return call

    # ---- running ---------------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Self:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.add_routes(self.routes())
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.loop = asyncio.get_running_loop()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @contextlib.contextmanager
    def in_thread(self) -> Iterator[Self]:
        """Serve from a thread with its own event loop (for tests that run real server processes)."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.start())
            ready.set()
            loop.run_forever()

        thread = threading.Thread(target=run, name=f"{type(self).__name__}", daemon=True)
        thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake API server did not start")
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self.stop(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()

    def call_soon(self, fn: Any, *args: Any) -> None:
        """Run ``fn(*args)`` in the server's loop (thread-safe)."""
        assert self.loop is not None
        self.loop.call_soon_threadsafe(fn, *args)
