"""One contract for every channel, both directions (opsdroid / Rasa style).

A channel module under ``bot/channels/`` defines one ``Channel`` subclass that

* says whether it is on (``enabled(settings)``: a platform channel is off until its credentials are set),
* gives its web routes (``routes()``: webhook endpoints, with request verification as the ``verified`` decorator),
* turns a platform event into an ``InboundMessage`` and hands it to the receiver (the pipeline),
* sends an ``OutboundMessage`` (``send``), within its ``capabilities``; text that a capability lacks falls back to
  plain text (buttons become a numbered list, long texts are split),
* has a life cycle (``initialize()`` / ``shutdown()``, ``async with``), started and stopped by the Runtime.

``bot.channels.registry.build_channels`` builds the enabled ones from the settings. Channels import
``bot.messages``, never the pipeline.
"""

from __future__ import annotations

import abc
import contextlib
import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from bot.errors import ChannelError, PayloadTooLarge
from bot.lifecycle import AsyncResource
from bot.messages import OutboundMessage, Receiver
from bot.settings import Settings

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from bot.store.repo import Store


@dataclass(frozen=True, slots=True)
class Capabilities:
    buttons: bool = False  # quick-reply buttons; without them buttons become a numbered list in the text
    markup: bool = False
    max_length: int = 4096  # longer texts are split
    inline_replies: bool = False  # replies travel back in the response to the passenger's request (REST, web chat)
    rate_per_second: float | None = None  # the platform's overall send limit, respected by the outbox
    rate_per_recipient: float | None = None  # per chat / channel (e.g. Telegram 1/s per chat, Slack 1/s per channel)
    broadcast: bool = False  # can publish to a public audience (crisis updates): see ``broadcast_recipient``


@dataclass(frozen=True, slots=True)
class Rendered:
    """What a channel actually sends for one outbound message."""

    texts: tuple[str, ...]
    buttons: tuple[dict[str, str], ...] = ()


@dataclass(slots=True)
class ChannelContext:
    """What a channel gets from the Runtime: the settings, where inbound messages go, and the store."""

    settings: Settings
    receiver: Receiver
    store: Store


def numbered_list(buttons: tuple[dict[str, str], ...]) -> str:
    return "\n".join(f"{i}. {b['title']}" for i, b in enumerate(buttons, 1))


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units: how Telegram (and JavaScript-based APIs) count a message's characters."""
    return len(text.encode("utf-16-le")) // 2


def _fitting_prefix(text: str, limit: int, measure: Callable[[str], int]) -> int:
    """The largest i such that measure(text[:i]) <= limit (measure grows with i)."""
    if measure is len or getattr(measure, "__func__", None) is Channel.measure:
        return min(limit, len(text))
    lo, hi = 0, min(len(text), limit)  # a character measures at least 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if measure(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> tuple[str, ...]:
    """Split on paragraph, line or word boundaries so that no part measures more than ``limit``.

    ``measure`` is how the platform counts (``len``: code points; ``utf16_length`` for Telegram).
    """
    if measure(text) <= limit:
        return (text,)
    parts: list[str] = []
    rest = text
    while measure(rest) > limit:
        fit = _fitting_prefix(rest, limit, measure)
        cut = -1
        for sep in ("\n\n", "\n", " "):  # the strongest boundary that keeps a reasonable part
            cut = rest.rfind(sep, 0, fit + 1)
            if cut > fit // 3:
                break
        if cut <= 0:
            cut = max(fit, 1)
        part = rest[:cut].rstrip()
        if part:
            parts.append(part)
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return tuple(parts)


Endpoint = Callable[["Request"], Awaitable["Response"]]
Check = Callable[["Request", bytes], "Awaitable[None] | None"]


MAX_WEBHOOK_BODY = 1024 * 1024  # platform webhooks are small; anything bigger is refused before it is read whole


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, refused (PayloadTooLarge: 413) as soon as it is over ``limit`` bytes, without reading the
    rest into memory. Read again, it is the same bytes (Starlette keeps them)."""
    cached = getattr(request, "_body", None)
    if cached is None:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"request body too large: over {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        async with contextlib.aclosing(request.stream()) as stream:
            async for chunk in stream:
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"request body too large: over {limit} bytes")
                chunks.append(chunk)
        cached = b"".join(chunks)
        request._body = cached  # what request.body() returns from now on
    if len(cached) > limit:
        raise PayloadTooLarge(f"request body too large: over {limit} bytes")
    return cached


def client_address(request: Request) -> str | None:
    """The client's address (behind a proxy, uvicorn puts the forwarded one here for --forwarded-allow-ips)."""
    return request.client.host if request.client else None


def verified(check: Check, max_body: int = MAX_WEBHOOK_BODY) -> Callable[[Endpoint], Endpoint]:
    """Request verification as a decorator (slack-bolt style middleware): ``check(request, body)`` runs before the
    endpoint and raises ``bot.errors.Unauthorized`` / ``Forbidden``; bot/app.py maps those to 401 / 403.

    The body is read once here (signatures are computed over the raw bytes), at most ``max_body`` bytes (413 over
    it); the endpoint can read it again.
    """

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def wrapper(request: Request) -> Response:
            body = await read_body(request, max_body)
            outcome = check(request, body)
            if inspect.isawaitable(outcome):
                await outcome
            return await endpoint(request)

        return wrapper

    return decorate


PaceFn = Callable[[str], Awaitable[None]]


async def _no_pacing(_recipient: str) -> None:
    return None


class Channel(AsyncResource):
    name: ClassVar[str]
    capabilities: ClassVar[Capabilities] = Capabilities()

    # Set by the outbox dispatcher: waits for the platform's rate limits before one more API call to a recipient.
    # ``deliver`` calls it before every part after the first (the dispatcher paces the first part itself).
    pace: PaceFn = staticmethod(_no_pacing)

    def __init__(self, ctx: ChannelContext) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.receiver = ctx.receiver

    @classmethod
    def enabled(cls, settings: Settings) -> bool:
        """Whether the settings turn this channel on (credentials present)."""
        return True

    def routes(self) -> list[BaseRoute]:
        """Web routes this channel serves (webhooks); mounted by bot/app.py."""
        return []

    def describe(self) -> str:
        """One line for `crisisbot serve`'s start-up banner (mode, paths)."""
        paths = [getattr(r, "path", "") for r in self.routes()]
        return f"{self.name}: {', '.join(p for p in paths if p) or 'on'}"

    def measure(self, text: str) -> int:
        """How the platform counts a message's length (``max_length``): code points; Telegram counts UTF-16 units."""
        return len(text)

    def broadcast_recipient(self) -> str | None:
        """Where public updates go on this channel (a Telegram channel, a Slack channel, the X timeline), if any."""
        return None

    def render(self, msg: OutboundMessage) -> Rendered:
        """Apply the channel's capabilities: buttons or their numbered-list fallback, length limits."""
        text = msg.text
        buttons = msg.buttons
        if buttons and not self.capabilities.buttons:
            listed = numbered_list(buttons)
            # numbered choices ("1", "2", "3") are listed in the text already ("1. 1" would say nothing), and so
            # are choices whose numbered list the text ends with (the EU261 choice): never list them twice
            if not all(b["title"] == str(i) for i, b in enumerate(buttons, 1)) and not text.endswith(listed):
                text = f"{text}\n{listed}" if text else listed
            buttons = ()
        return Rendered(split_text(text, self.capabilities.max_length, self.measure), buttons)

    async def deliver(
        self,
        msg: OutboundMessage,
        send_part: Callable[[str, tuple[dict[str, str], ...], str | None], Awaitable[str | None]],
    ) -> str | None:
        """Send a rendered message part by part with ``send_part(text, buttons, previous_platform_id)``; the buttons
        ride on the last part. Parts already delivered by an earlier attempt (``msg.parts_sent``) are skipped, every
        further part waits for the rate limits (``pace``), and a failure records how far it got on the error, so the
        outbox's retry never sends a part twice. Returns the platform id of the last part.
        """
        rendered = self.render(msg)
        texts = [t for t in rendered.texts if t.strip()]
        last_id = msg.last_platform_id
        for i, text in enumerate(texts):
            if i < msg.parts_sent:
                continue
            if i > msg.parts_sent:
                await self.pace(msg.recipient_id)
            buttons = rendered.buttons if i == len(texts) - 1 else ()
            try:
                last_id = await send_part(text, buttons, last_id)
            except ChannelError as exc:
                if i > msg.parts_sent:
                    exc.parts_sent, exc.platform_id = i, last_id
                raise
        return last_id

    @abc.abstractmethod
    async def send(self, msg: OutboundMessage) -> str | None:
        """Deliver one message; return the platform's message id if it gives one.

        Raises bot.errors.ChannelError (RateLimited with retry_after) on failure: the outbox retries.
        """

    def to_json(self, msg: OutboundMessage) -> list[dict[str, Any]]:
        """Rasa-style JSON messages for channels whose replies travel inline."""
        r = self.render(msg)
        out: list[dict[str, Any]] = [{"recipient_id": msg.recipient_id, "text": t} for t in r.texts]
        if r.buttons and out:
            out[-1]["buttons"] = [{"title": b["title"], "payload": b["payload"]} for b in r.buttons]
        return out
