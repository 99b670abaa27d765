"""The web app: web chat at ``/``, the Rasa-compatible REST channel, ``/healthz`` and ``/metrics``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.channels.rest import MAX_BODY as REST_MAX_BODY
from bot.channels.rest import RestChannel
from bot.channels.webchat import MAX_BODY as WEBCHAT_MAX_BODY
from bot.channels.webchat import WebchatChannel, page_headers, page_html
from bot.errors import BadRequest, ConcurrencyConflict, PayloadTooLarge, StoreDataError, StoreError, Unauthorized
from bot.outbox import OutboxDispatcher
from bot.runtime import Runtime

log = structlog.get_logger("crisisbot.app")


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


# ---- errors -> responses, in one place ---------------------------------------------------------------------------
# 4xx: the request itself is wrong, the same request fails again. 503 (with Retry-After) only for what can pass.


async def _bad_request(_request: Request, exc: Exception) -> Response:
    return _error(413 if isinstance(exc, PayloadTooLarge) else 400, str(exc))


async def _unauthorized(_request: Request, exc: Exception) -> Response:
    return _error(401, str(exc))


async def _store_error(_request: Request, exc: Exception) -> Response:
    if isinstance(exc, StoreDataError):  # the values themselves: a retry fails the same way
        log.warning("store_refused_values", error=str(exc))
        return _error(400, "the request contains a value that cannot be stored")
    if isinstance(exc, ConcurrencyConflict):
        return _error(503, "this conversation is busy, retry the same request", {"Retry-After": "1"})
    log.error("store_error", exc_info=exc)
    return _error(503, "temporarily unavailable, retry the same request", {"Retry-After": "5"})


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _error(exc.status_code, str(exc.detail), dict(exc.headers or {}))


EXCEPTION_HANDLERS: dict[Any, Any] = {
    BadRequest: _bad_request,
    Unauthorized: _unauthorized,
    StoreError: _store_error,
    HTTPException: _http_error,
}


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it is over ``limit`` bytes, without reading the rest."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body too large: over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body too large: over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def client_address(request: Request) -> str | None:
    """The client's address (uvicorn puts the forwarded one here for trusted proxies: --forwarded-allow-ips)."""
    return request.client.host if request.client else None


class SecurityHeaders:
    """``X-Content-Type-Options: nosniff`` on every response (pages add their own Content-Security-Policy)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"x-content-type-options" for k, _ in headers):
                    headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(runtime: Runtime, *, run_outbox: bool = True) -> Starlette:
    """Build the ASGI app around a (not yet started) Runtime; the app's lifespan starts and stops it."""
    state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with runtime:
            state["rest"] = RestChannel(runtime.pipeline)
            state["webchat"] = WebchatChannel(runtime.pipeline)
            dispatcher = OutboxDispatcher(runtime.store, channels={})
            if run_outbox:
                await dispatcher.start()
            try:
                yield
            finally:
                await dispatcher.stop()

    def verify_token(request: Request) -> None:
        secret = runtime.settings.webhook_secret
        if secret is not None and request.headers.get("x-crisisbot-token") != secret.get_secret_value():
            raise Unauthorized("missing or wrong X-Crisisbot-Token")

    async def rest_webhook(request: Request) -> Response:
        verify_token(request)
        body = await read_body(request, REST_MAX_BODY)
        headers = {k.lower(): v for k, v in request.headers.items()}
        return JSONResponse(await state["rest"].handle(body, headers, client_address(request)))

    async def webchat_message(request: Request) -> Response:
        body = await read_body(request, WEBCHAT_MAX_BODY)
        return JSONResponse(await state["webchat"].post(body, client_address(request)))

    async def webchat_poll(request: Request) -> Response:
        return JSONResponse(await state["webchat"].poll(request.query_params))

    async def index(_request: Request) -> Response:
        return HTMLResponse(page_html(), headers=page_headers())

    async def healthz(_request: Request) -> Response:
        try:
            await runtime.store.ping()
        except StoreError as exc:
            return JSONResponse({"status": "unhealthy", "database": str(exc)}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok", "nlu": runtime.settings.nlu_backend})

    async def metrics_endpoint(_request: Request) -> Response:
        try:
            counts = await runtime.store.outbox_counts()
            metrics.OUTBOX_PENDING.set(counts.get("pending", 0) + counts.get("sending", 0))
        except StoreError:
            pass
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    routes = [
        Route("/", index),
        Route("/webhooks/rest/webhook", rest_webhook, methods=["POST"]),
        Route("/webhooks/rest/", lambda _r: JSONResponse({"status": "ok"})),
        Route("/webchat/api/message", webchat_message, methods=["POST"]),
        Route("/webchat/api/poll", webchat_poll),
        Route("/healthz", healthz),
        Route("/metrics", metrics_endpoint),
    ]
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers=EXCEPTION_HANDLERS,
                     middleware=[Middleware(SecurityHeaders)])


def create_default_app() -> Starlette:
    """App factory for ``uvicorn --factory`` (one per worker process), from the environment's settings."""
    from bot.logging import configure_logging
    from bot.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(Runtime(settings))
