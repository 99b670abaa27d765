"""What the crisis runner needs to know about channels: their length limits, whether they broadcast, where to.

From the channel registry (the enabled channels and their ``Capabilities``), completed with the platforms' known
limits for channels that are not built or not enabled here, so a preview checks every channel a crisis may use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.crisis.render import DEFAULT_LIMITS, ChannelLimit
from bot.settings import Settings

NO_LIMIT = ("sms", "email")  # concatenated SMS and e-mail: no practical limit
PULL = ("status", "webchat")  # read the crisis from the database (the status page, the web chat banner)


def limit_of(channel: Any) -> ChannelLimit:
    caps = channel.capabilities
    name = channel.name
    recipient = None
    if caps.broadcast:
        try:
            recipient = channel.broadcast_recipient()
        except Exception:  # a channel that cannot tell (not configured): no broadcast target
            recipient = None
    return ChannelLimit(
        name=name,
        max_length=None if name in NO_LIMIT else caps.max_length,
        threads=name == "x" or caps.max_length <= 300,
        broadcast=bool(caps.broadcast) or name in PULL,
        personal=not caps.inline_replies or name == "webchat",
        recipient=recipient,
    )


def build_channel_instances(settings: Settings) -> dict[str, Any]:
    """The enabled channels, built but not started (to read capabilities and broadcast targets from a CLI)."""
    from bot.channels.base import ChannelContext
    from bot.channels.registry import build_channels

    class _NoReceiver:
        async def receive(self, msg: Any) -> Any:  # pragma: no cover - never called: the CLI only reads
            raise RuntimeError("not serving")

    ctx = ChannelContext(settings=settings, receiver=_NoReceiver(), store=None)  # type: ignore[arg-type]
    try:
        return dict(build_channels(ctx))
    except Exception:
        return {}


def crisis_channels(settings: Settings, channels: Mapping[str, Any] | None = None) -> list[ChannelLimit]:
    """The enabled channels as the crisis runner sees them, and the status page."""
    found = dict(channels) if channels is not None else build_channel_instances(settings)
    out = [limit_of(c) for name, c in found.items() if name != "rest"]
    if not any(c.name == "status" for c in out):
        out.append(DEFAULT_LIMITS["status"])
    return out


def preview_channels(settings: Settings, channels: Mapping[str, Any] | None = None) -> list[ChannelLimit]:
    """Every channel a crisis may reach: the enabled ones, and the known platforms (marked not enabled)."""
    enabled = {c.name: c for c in crisis_channels(settings, channels)}
    out = list(enabled.values())
    for name, limit in DEFAULT_LIMITS.items():
        if name not in enabled:
            out.append(ChannelLimit(**{**limit.__dict__, "enabled": False}))
    return out
