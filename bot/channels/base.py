"""One base class for every channel: what it can show, how it sends, and the plain-text fallbacks."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, ClassVar

from bot.lifecycle import AsyncResource
from bot.pipeline import OutboundMessage


@dataclass(frozen=True, slots=True)
class Capabilities:
    buttons: bool = False  # quick-reply buttons; without them buttons become a numbered list in the text
    markup: bool = False
    max_length: int = 4096  # longer texts are split
    inline_replies: bool = False  # replies travel back in the response to the passenger's request (REST, web chat)
    rate_per_second: float | None = None  # the platform's send limit, respected by the outbox


@dataclass(frozen=True, slots=True)
class Rendered:
    """What a channel actually sends for one outbound message."""

    texts: tuple[str, ...]
    buttons: tuple[dict[str, str], ...] = ()


def numbered_list(buttons: tuple[dict[str, str], ...]) -> str:
    return "\n".join(f"{i}. {b['title']}" for i, b in enumerate(buttons, 1))


def split_text(text: str, limit: int) -> tuple[str, ...]:
    """Split on paragraph, line or word boundaries so that no part exceeds ``limit`` characters."""
    if len(text) <= limit:
        return (text,)
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = -1
        for sep in ("\n\n", "\n", " "):  # the strongest boundary that keeps a reasonable part
            cut = rest.rfind(sep, 0, limit + 1)
            if cut > limit // 3:
                break
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return tuple(parts)


class Channel(AsyncResource):
    name: ClassVar[str]
    capabilities: ClassVar[Capabilities] = Capabilities()

    def render(self, msg: OutboundMessage) -> Rendered:
        """Apply the channel's capabilities: buttons or their numbered-list fallback, length limits."""
        text = msg.text
        buttons = msg.buttons
        if buttons and not self.capabilities.buttons:
            text = f"{text}\n{numbered_list(buttons)}" if text else numbered_list(buttons)
            buttons = ()
        return Rendered(split_text(text, self.capabilities.max_length), buttons)

    @abc.abstractmethod
    async def send(self, msg: OutboundMessage) -> str | None:
        """Deliver one message; return the platform's message id if it gives one.

        Raises bot.errors.ChannelError (RateLimited with retry_after) on failure.
        """

    def to_json(self, msg: OutboundMessage) -> list[dict[str, Any]]:
        """Rasa-style JSON messages for channels whose replies travel inline."""
        r = self.render(msg)
        out: list[dict[str, Any]] = [{"recipient_id": msg.recipient_id, "text": t} for t in r.texts]
        if r.buttons and out:
            out[-1]["buttons"] = [{"title": b["title"], "payload": b["payload"]} for b in r.buttons]
        return out
