"""Natural language understanding: the language detector, the intent/entity backends and their factory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.nlu.base import ENTITIES, FALLBACK_INTENT, INTENTS, Entity, IntentPrediction, NLUBackend, Parse

__all__ = [
    "ENTITIES",
    "FALLBACK_INTENT",
    "INTENTS",
    "Entity",
    "IntentPrediction",
    "NLUBackend",
    "Parse",
    "build_language_detector",
    "build_nlu",
]

if TYPE_CHECKING:
    from bot.nlu.language import LanguageDetector
    from bot.settings import Settings


def build_nlu(settings: Settings | None = None) -> NLUBackend:
    """The backend ``settings.nlu_backend`` names ("embedded" or "rasa"); call ``await backend.initialize()``."""
    if settings is None:
        from bot.settings import get_settings

        settings = get_settings()
    if settings.nlu_backend == "rasa":
        from bot.nlu.rasa import RasaBackend

        return RasaBackend(settings)
    if settings.nlu_backend == "embedded":
        from bot.nlu.embedded import EmbeddedBackend

        return EmbeddedBackend(settings)
    from bot.errors import ConfigurationError

    raise ConfigurationError(f"unknown nlu_backend {settings.nlu_backend!r} (embedded or rasa)")


def build_language_detector(settings: Settings | None = None) -> LanguageDetector:
    """A LanguageDetector over ``settings.languages`` with ``settings.default_language`` as the default, helped by a
    language-ID model trained on intents/*.yml (cached under ``settings.cache_dir``; ~5 s to train the first time).
    Blocking: call it from a thread (``asyncio.to_thread``) in async code."""
    if settings is None:
        from bot.settings import get_settings

        settings = get_settings()
    from bot.nlu.language import LanguageDetector

    domain = None
    try:
        from bot.nlu.embedded import load_language_model

        domain = load_language_model(settings)
    except Exception:
        import logging

        logging.getLogger(__name__).exception("domain language model unavailable")
    return LanguageDetector(settings.languages, settings.default_language, domain_model=domain)
