"""The web app: web chat at ``/``, the Rasa-compatible REST channel, ``/healthz`` and ``/metrics``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.channels.rest import RestChannel
from bot.channels.webchat import WebchatChannel, page_html
from bot.errors import BadRequest, ConcurrencyConflict, StoreError
from bot.outbox import OutboxDispatcher
from bot.runtime import Runtime

log = structlog.get_logger("crisisbot.app")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


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
            raise PermissionError("missing or wrong X-Crisisbot-Token")

    async def rest_webhook(request: Request) -> Response:
        try:
            verify_token(request)
            body = await request.body()
            out = await state["rest"].handle(body, {k.lower(): v for k, v in request.headers.items()})
        except PermissionError as exc:
            return _error(401, str(exc))
        except BadRequest as exc:
            return _error(400, str(exc))
        except ConcurrencyConflict:
            return _error(503, "this conversation is busy, retry the same request")
        except StoreError:
            log.exception("store_error")
            return _error(503, "temporarily unavailable, retry the same request")
        return JSONResponse(out)

    async def webchat_message(request: Request) -> Response:
        try:
            try:
                data = await request.json()
            except ValueError as exc:
                raise BadRequest("body is not valid JSON") from exc
            out = await state["webchat"].post(data)
        except BadRequest as exc:
            return _error(400, str(exc))
        except (ConcurrencyConflict, StoreError):
            log.exception("webchat_unavailable")
            return _error(503, "temporarily unavailable, retry the same request")
        return JSONResponse(out)

    async def webchat_poll(request: Request) -> Response:
        try:
            after = int(request.query_params.get("after", "0") or 0)
            out = await state["webchat"].poll(request.query_params.get("session_id", ""), after)
        except (BadRequest, ValueError) as exc:
            return _error(400, str(exc) if isinstance(exc, BadRequest) else "after must be an integer")
        return JSONResponse(out)

    async def index(_request: Request) -> Response:
        return HTMLResponse(page_html())

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
    return Starlette(routes=routes, lifespan=lifespan)


def create_default_app() -> Starlette:
    """App factory for ``uvicorn --factory`` (one per worker process), from the environment's settings."""
    from bot.logging import configure_logging
    from bot.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(Runtime(settings))
