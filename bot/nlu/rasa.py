"""The Rasa backend: parses through a Rasa server's HTTP API (``POST {rasa_url}/model/parse``).

Train the server's model from the same data (see docs/nlu.md)::

    rasa train nlu --nlu intents/en.yml --config docs/rasa/config-en.yml
    rasa run --enable-api -m models/ [--auth-token TOKEN]

Rasa errors, timeouts and 5xx answers become NLUError. The language of the parse is the one our detector gave.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from bot.errors import NLUError
from bot.nlu.base import ENTITIES, FALLBACK_INTENT, Entity, IntentPrediction, NLUBackend, Parse
from bot.nlu.lexicon import is_angry
from bot.nlu.text import sanitize

log = logging.getLogger(__name__)


class RasaBackend(NLUBackend):
    name = "rasa"

    def __init__(self, settings: Any = None, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        if settings is None:
            from bot.settings import get_settings

            settings = get_settings()
        self.settings = settings
        self.url = str(settings.rasa_url).rstrip("/")
        token = settings.rasa_token
        self.token = token.get_secret_value() if token is not None else None
        self.timeout = float(settings.rasa_timeout)
        self.threshold = float(settings.nlu_threshold)
        self.languages = tuple(settings.languages)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    async def initialize(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.url, timeout=self.timeout, transport=self._transport)

    async def shutdown(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def status(self) -> dict[str, Any]:
        """Rasa's ``GET /status`` (which model is loaded); raises NLUError when unreachable."""
        return await self._request("GET", "/status", None)

    async def _request(self, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        if self._client is None:
            await self.initialize()
        assert self._client is not None
        params = {"token": self.token} if self.token else None
        try:
            resp = await self._client.request(method, path, json=body, params=params)
        except httpx.TimeoutException as exc:
            raise NLUError(f"Rasa at {self.url} timed out after {self.timeout:.1f}s") from exc
        except httpx.HTTPError as exc:
            raise NLUError(f"Rasa at {self.url} unreachable: {type(exc).__name__}") from exc
        if resp.status_code in (401, 403):
            raise NLUError(f"Rasa refused the request ({resp.status_code}): check CRISISBOT_RASA_TOKEN")
        if resp.status_code >= 400:
            raise NLUError(f"Rasa answered {resp.status_code} to {path}")
        try:
            data = resp.json()
        except ValueError as exc:
            raise NLUError("Rasa answered with something that is not JSON") from exc
        if not isinstance(data, dict):
            raise NLUError("Rasa answered with an unexpected JSON shape")
        return data

    async def parse(self, text: str, language: str, *, context: dict[str, Any] | None = None) -> Parse:
        ctx = context or {}
        clean, flags = sanitize(text)
        supported = language in self.languages and ctx.get("language_supported", True) is not False
        lang = language if supported else "en"
        if not supported:
            flags.append("unsupported_language")
        if "empty" in flags or ("binary" in flags and sum(c.isalpha() for c in clean) < 2):
            if "empty" not in flags:
                flags.append("empty")
            return Parse("" if "binary" in flags else clean, lang, IntentPrediction(FALLBACK_INTENT, 1.0),
                         flags=tuple(flags))
        data = await self._request("POST", "/model/parse", {"text": clean})
        parse = self.convert(data, clean, lang, flags)
        return parse

    def convert(self, data: dict[str, Any], text: str, language: str, flags: list[str]) -> Parse:
        """Rasa's parse JSON -> Parse (unknown entities dropped, fallback below our threshold)."""
        try:
            raw_intent = data.get("intent") or {}
            name = raw_intent.get("name") or FALLBACK_INTENT
            conf = float(raw_intent.get("confidence") or 0.0)
            ranking = tuple(
                IntentPrediction(str(p.get("name")), float(p.get("confidence") or 0.0))
                for p in (data.get("intent_ranking") or [])
                if isinstance(p, dict) and p.get("name")
            )[:10]
            entities = []
            for e in data.get("entities") or []:
                if not isinstance(e, dict) or e.get("entity") not in ENTITIES:
                    continue
                start, end = int(e.get("start", 0)), int(e.get("end", 0))
                value = e.get("value")
                if e["entity"] == "option" and str(value).strip().isdigit():
                    value = int(str(value).strip())
                entities.append(Entity(
                    entity=e["entity"], value=value, start=start, end=end, text=text[start:end] or str(value),
                    role=e.get("role"), confidence=float(e.get("confidence_entity", e.get("confidence", 1.0)) or 1.0),
                    extractor=str(e.get("extractor") or "rasa"),
                ))
        except (TypeError, ValueError, AttributeError) as exc:
            raise NLUError(f"Rasa answered with an unexpected parse: {exc}") from exc
        if name != FALLBACK_INTENT and conf < self.threshold:
            intent = IntentPrediction(FALLBACK_INTENT, self.threshold)
            ranking = (intent, *ranking[:9])
        else:
            intent = IntentPrediction(name, conf)
        if is_angry(text):
            flags = [*flags, "angry"]
        return Parse(text, language, intent, ranking, tuple(entities), tuple(flags))
