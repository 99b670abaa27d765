"""Wiring: one object that starts the store, reservation adapter, NLU, dialogue and pipeline, and stops them.

Every command (serve, chat, demo, db, validate) builds its pieces from the same Settings, so they see the same data.
"""

from __future__ import annotations

import asyncio
from typing import Self

import structlog
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.dialogue.base import DialogueEngine
from bot.errors import ConfigurationError
from bot.nlu.base import NLUBackend
from bot.pipeline import LanguageDetector, Pipeline
from bot.reservations.base import ReservationAdapter
from bot.services.recovery import RecoveryService
from bot.settings import Settings
from bot.store.db import create_engine, normalise_url
from bot.store.repo import Store

log = structlog.get_logger("crisisbot.runtime")


def safe_url(url: str) -> str:
    return make_url(normalise_url(url)).render_as_string(hide_password=True)


async def open_database(settings: Settings, *, migrate: bool = True) -> AsyncEngine:
    """Connect (one clear error if unreachable) and bring the schema up to date."""
    engine = create_engine(settings.database_url, echo=settings.db_echo)
    try:
        async with asyncio.timeout(15):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except (OSError, OperationalError, DBAPIError, TimeoutError) as exc:
        await engine.dispose()
        reason = getattr(exc, "orig", None) or exc
        why = str(reason).strip() or type(reason).__name__
        raise ConfigurationError(f"cannot reach the database at {safe_url(settings.database_url)}: {why}") from None
    if migrate:
        from bot.store.migrate import upgrade

        await upgrade(engine)
    return engine


class Runtime:
    def __init__(
        self,
        settings: Settings,
        *,
        nlu: NLUBackend | None = None,
        detector: LanguageDetector | None = None,
        dialogue: DialogueEngine | None = None,
        adapter: ReservationAdapter | None = None,
    ) -> None:
        self.settings = settings
        self._nlu, self._detector, self._dialogue, self._adapter = nlu, detector, dialogue, adapter
        self.engine: AsyncEngine
        self.store: Store
        self.adapter: ReservationAdapter
        self.nlu: NLUBackend
        self.dialogue: DialogueEngine
        self.pipeline: Pipeline
        self.recovery: RecoveryService | None = None

    async def start(self) -> None:
        s = self.settings
        self.engine = await open_database(s)
        self.store = Store(self.engine)
        if self._adapter is None:
            from bot.reservations.sql.adapter import SqlReservationAdapter

            self._adapter = SqlReservationAdapter(self.engine, s)
        self.adapter = self._adapter
        await self.adapter.initialize()
        if self._nlu is None:
            from bot.nlu import build_nlu

            self._nlu = build_nlu(s)
        self.nlu = self._nlu
        await self.nlu.initialize()
        if self._detector is None:
            from bot.nlu import build_language_detector

            self._detector = await asyncio.to_thread(build_language_detector, s)
        if self._dialogue is None:
            from bot.dialogue import build_dialogue

            self._dialogue = build_dialogue(s, self.adapter)
        self.dialogue = self._dialogue
        await self.dialogue.initialize()
        self.pipeline = Pipeline(
            store=self.store, detector=self._detector, nlu=self.nlu, dialogue=self.dialogue, settings=s
        )
        # messages a dead process stored and never answered are processed now and while we run
        self.recovery = RecoveryService(self.pipeline)
        await self.recovery.start()
        log.info("runtime_started", database=safe_url(s.database_url), nlu=s.nlu_backend)

    async def stop(self) -> None:
        recovery = getattr(self, "recovery", None)
        if recovery is not None:
            await recovery.stop()
        for part in ("dialogue", "nlu", "adapter"):
            obj = getattr(self, part, None)
            if obj is not None:
                try:
                    await obj.shutdown()
                except Exception:
                    log.exception("shutdown_failed", part=part)
        engine = getattr(self, "engine", None)
        if engine is not None:
            await engine.dispose()

    async def __aenter__(self) -> Self:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
