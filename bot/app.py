"""The web app: mounts what the channels serve, ``/healthz`` and ``/metrics``, and maps errors to responses.

Routes come from the enabled channels (``Channel.routes()``: REST, web chat, and the platform webhooks); this module
adds nothing channel-specific. Every error becomes a response here, in one place: input refused by a channel
(``RequestRejected``: 400 / 401 / 403 / 413), a value the database refuses (400: the same request would fail again),
a busy conversation or a database fault (503 with Retry-After: they pass), anything else (500, logged without
personal data). Every response says ``X-Content-Type-Options: nosniff``; pages add their Content-Security-Policy.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.errors import ConcurrencyConflict, RequestRejected, StoreDataError, StoreError
from bot.runtime import Runtime
from bot.settings import Settings

log = structlog.get_logger("crisisbot.app")


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def _rejected(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestRejected)
    return _error(exc.status_code, str(exc))


async def _busy(_request: Request, _exc: Exception) -> Response:
    return _error(503, "this conversation is busy, retry the same request", {"Retry-After": "1"})


async def _store_refused(_request: Request, exc: Exception) -> Response:
    # past the channels' checks: still the request's values, not a fault that passes
    log.warning("store_refused_value", error=str(exc))
    return _error(400, "the request contains a value that cannot be stored")


async def _store_down(_request: Request, exc: Exception) -> Response:
    log.error("store_error", error=type(exc).__name__)
    return _error(503, "temporarily unavailable, retry the same request", {"Retry-After": "5"})


async def _gone(_request: Request, _exc: Exception) -> Response:
    return _error(400, "the client disconnected before the request was complete")


async def _unexpected(_request: Request, exc: Exception) -> Response:
    log.exception("unhandled_error", error=type(exc).__name__)
    return _error(500, "internal error")


EXCEPTION_HANDLERS = {
    RequestRejected: _rejected,
    ConcurrencyConflict: _busy,
    StoreDataError: _store_refused,
    StoreError: _store_down,
    ClientDisconnect: _gone,
    Exception: _unexpected,
}


class NoSniff:
    """``X-Content-Type-Options: nosniff`` on every response (a pure ASGI middleware: it does not buffer bodies)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-content-type-options"]
                message = {**message, "headers": [*headers, (b"x-content-type-options", b"nosniff")]}
            await send(message)

        await self.app(scope, receive, send_with_header)


def metrics_registry() -> CollectorRegistry | None:
    """With several worker processes, one registry that adds up every worker's metrics (prometheus multiprocess)."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def create_app(runtime: Runtime, *, on_ready: Callable[[Runtime], None] | None = None) -> Starlette:
    """Build the ASGI app around a (not yet started) serving Runtime; the app's lifespan starts and stops it.

    ``on_ready`` is called once the runtime, its channels and services are up (the CLI prints its banner then).
    """

    async def healthz(_request: Request) -> Response:
        try:
            await runtime.store.ping()
        except StoreError as exc:
            return JSONResponse({"status": "unhealthy", "database": str(exc)}, status_code=503)
        supervisor = runtime.supervisor
        return JSONResponse({
            "status": "ok",
            "database": "ok",
            "nlu": runtime.settings.nlu_backend,
            "channels": sorted(runtime.channels),
            "leader": bool(supervisor and supervisor.is_leader),
        })

    async def metrics_endpoint(_request: Request) -> Response:
        try:
            counts = await runtime.store.outbox_counts()
            metrics.OUTBOX_PENDING.set(counts.get("pending", 0) + counts.get("sending", 0))
        except StoreError:
            pass
        registry = metrics_registry()
        body = generate_latest(registry) if registry is not None else generate_latest()
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    app = Starlette(
        routes=[Route("/healthz", healthz), Route("/metrics", metrics_endpoint)],
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[Middleware(NoSniff)],
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        runtime.serving = True
        async with runtime:
            mounted = []
            for channel in runtime.channels.values():
                mounted.extend(channel.routes())
            app.router.routes.extend(mounted)
            if on_ready is not None:
                on_ready(runtime)
            try:
                yield
            finally:
                for route in mounted:
                    app.router.routes.remove(route)

    app.router.lifespan_context = lifespan
    return app


def create_default_app() -> Starlette:
    """App factory for ``uvicorn --factory`` (one per worker process), from the environment's settings."""
    from bot.logging import configure_logging
    from bot.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    banner = os.environ.get("CRISISBOT_BANNER_ONCE_DIR")
    return create_app(Runtime(settings, serving=True), on_ready=_worker_ready(banner) if banner else None)


def _worker_ready(directory: str) -> Callable[[Runtime], None]:
    """With several workers, the first one ready prints the banner (the others stay quiet)."""

    def ready(runtime: Runtime) -> None:
        try:
            fd = os.open(os.path.join(directory, "ready"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.close(fd)
        print(banner_text(runtime.settings, runtime), flush=True)

    return ready


def banner_text(settings: Settings, runtime: Runtime) -> str:
    from bot.runtime import safe_url

    url = f"http://{settings.host}:{settings.port}/"
    lines = [f"crisisbot: ready on {url} (Ctrl+C stops); database {safe_url(settings.database_url)}"]
    for channel in runtime.channels.values():
        lines.append(f"  channel {channel.describe()}")
    return "\n".join(lines)
