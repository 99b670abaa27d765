"""The channel registry: which channel classes exist, and which of them the settings turn on.

Add a channel by writing its module and one line here. The console channel is not listed: it belongs to
`crisisbot chat`, not to the server.
"""

from __future__ import annotations

import importlib

from bot.channels.base import Channel, ChannelContext
from bot.settings import Settings

CHANNELS: dict[str, str] = {
    "rest": "bot.channels.rest:RestChannel",
    "webchat": "bot.channels.webchat:WebchatChannel",
    "telegram": "bot.channels.telegram:TelegramChannel",
    "status": "bot.channels.status:StatusChannel",
    "slack": "bot.channels.slack:SlackChannel",
    "email": "bot.channels.email:EmailChannel",
    "x": "bot.channels.x:XChannel",
}


def channel_class(name: str) -> type[Channel]:
    module, _, cls = CHANNELS[name].partition(":")
    found = getattr(importlib.import_module(module), cls)
    if not (isinstance(found, type) and issubclass(found, Channel)):
        raise TypeError(f"{CHANNELS[name]} is not a Channel")
    return found


def enabled_channel_names(settings: Settings) -> list[str]:
    return [name for name in CHANNELS if channel_class(name).enabled(settings)]


def build_channels(ctx: ChannelContext) -> dict[str, Channel]:
    """The channels the settings turn on, not yet initialised (the Runtime does that)."""
    return {name: channel_class(name)(ctx) for name in enabled_channel_names(ctx.settings)}
