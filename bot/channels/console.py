"""The console channel: talk to the bot in a terminal (``crisisbot chat``)."""

from __future__ import annotations

import asyncio
import getpass
import uuid
from collections.abc import Callable
from typing import ClassVar

from bot.channels.base import Capabilities, Channel
from bot.messages import InboundMessage, OutboundMessage, Receiver

EXIT_WORDS = {"/quit", "/exit", "/q"}


class ConsoleChannel(Channel):
    name: ClassVar[str] = "console"
    capabilities: ClassVar[Capabilities] = Capabilities(buttons=False, inline_replies=True, max_length=100_000)

    def __init__(
        self,
        pipeline: Receiver,
        *,
        sender_id: str | None = None,
        read: Callable[[str], str] = input,
        write: Callable[[str], None] = print,
    ) -> None:
        self.pipeline = pipeline
        self.sender_id = sender_id or getpass.getuser()
        self.read = read
        self.write = write

    async def send(self, msg: OutboundMessage) -> str | None:
        for text in self.render(msg).texts:
            self.write(f"bot> {text}")
        return None

    async def say(self, text: str) -> list[OutboundMessage]:
        result = await self.pipeline.receive(
            InboundMessage(channel=self.name, sender_id=self.sender_id, text=text, message_id=uuid.uuid4().hex,
                           inline_reply=True)
        )
        for m in result.replies:
            await self.send(m)
        return result.replies

    async def run(self) -> None:
        """Read lines until end of input or /quit. A pressed-button equivalent is typing its number."""
        self.write("crisisbot chat — type a message, /quit to leave.")
        while True:
            try:
                line = await asyncio.to_thread(self.read, "you> ")
            except (EOFError, KeyboardInterrupt):
                self.write("")
                return
            if line.strip() in EXIT_WORDS:
                return
            if line.strip():
                await self.say(line)
