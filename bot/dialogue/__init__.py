"""The dialogue: a small flow runtime over flows/*.yml (see engine.py and loader.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.dialogue.base import DialogueEngine
    from bot.reservations.base import ReservationAdapter
    from bot.settings import Settings


def build_dialogue(settings: Settings, adapter: ReservationAdapter, throttle: Any = None) -> DialogueEngine:
    """The flow engine with the flows from ``settings.content_dir / "flows"`` (raises ContentErrors if broken).

    ``throttle`` (bot.store.throttle.VerificationThrottle) limits failed verifications across conversations."""
    from bot.dialogue.engine import FlowEngine
    from bot.dialogue.loader import load_flows

    return FlowEngine(settings, adapter, load_flows(settings.content_dir / "flows"), throttle=throttle)


__all__ = ["build_dialogue"]
