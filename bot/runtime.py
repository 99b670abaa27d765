"""Composition: one object that builds and owns everything that runs, and starts and stops it in order.

    store -> reservation adapter -> NLU -> language detector -> dialogue -> pipeline
          -> channels (serving only: the registry's enabled ones, initialised)
          -> services (serving only: outbox dispatcher, ...; singletons only in the leader process)

Stopping goes the other way. Every command (serve, chat, demo, db, validate) builds its pieces from the same
Settings, so they see the same data; only ``serve`` (``serving=True``) starts channels and services.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Self

import structlog
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cases import CaseDesk
from bot.channels.base import Channel, ChannelContext
from bot.dialogue.base import DialogueEngine
from bot.errors import ConfigurationError
from bot.nlu.base import NLUBackend
from bot.pipeline import LanguageDetector, Pipeline
from bot.reservations.base import ReservationAdapter
from bot.services.base import Service
from bot.services.leader import ServiceSupervisor
from bot.settings import Settings
from bot.store.db import create_engine, normalise_url
from bot.store.repo import Store

log = structlog.get_logger("crisisbot.runtime")


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    u = make_url(normalise_url(url))
    if not u.drivername.startswith("sqlite") or not u.database or u.database == ":memory:":
        return None
    return Path(u.database).expanduser().resolve()


def safe_url(url: str) -> str:
    return make_url(normalise_url(url)).render_as_string(hide_password=True)


async def open_database(settings: Settings, *, migrate: bool = True) -> AsyncEngine:
    """Connect (one clear error if unreachable) and bring the schema up to date.

    A new embedded (SQLite) database is announced with one line on stderr, naming the file, so nobody wonders which
    database a command used.
    """
    new_file = sqlite_file(settings.database_url)
    if new_file is not None and not new_file.exists():
        new_file.parent.mkdir(parents=True, exist_ok=True)
        print(f"crisisbot: creating a new database at {new_file}", file=sys.stderr, flush=True)
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


@contextlib.asynccontextmanager
async def _notice_if_slow(message: str, after: float = 2.0) -> AsyncIterator[None]:
    """Say on stderr what we are doing when it takes longer than ``after`` seconds (e.g. training on a first start)."""

    async def notice() -> None:
        await asyncio.sleep(after)
        print(message, file=sys.stderr, flush=True)

    task = asyncio.create_task(notice())
    try:
        yield
    finally:
        task.cancel()


class Runtime:
    def __init__(
        self,
        settings: Settings,
        *,
        nlu: NLUBackend | None = None,
        detector: LanguageDetector | None = None,
        dialogue: DialogueEngine | None = None,
        adapter: ReservationAdapter | None = None,
        serving: bool = False,
        channels: dict[str, Channel] | None = None,
    ) -> None:
        self.settings = settings
        self.serving = serving
        self._channels = channels
        self.channels: dict[str, Channel] = {}
        self.supervisor: ServiceSupervisor | None = None
        self.crisis: Any = None  # bot.crisis.mode.CrisisMode
        self._nlu, self._detector, self._dialogue, self._adapter = nlu, detector, dialogue, adapter
        self.engine: AsyncEngine
        self.store: Store
        self.adapter: ReservationAdapter
        self.nlu: NLUBackend
        self.dialogue: DialogueEngine
        self.pipeline: Pipeline
        self.cases: CaseDesk

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
        async with _notice_if_slow("crisisbot: preparing the NLU (the first start trains it, about 20 s) ..."):
            await self.nlu.initialize()
        if self._detector is None:
            from bot.nlu import build_language_detector

            self._detector = await asyncio.to_thread(build_language_detector, s)
        if self._dialogue is None:
            from bot.dialogue import build_dialogue
            from bot.store.throttle import VerificationThrottle

            self._dialogue = build_dialogue(s, self.adapter, throttle=VerificationThrottle(self.engine, s))
        self.dialogue = self._dialogue
        await self.dialogue.initialize()
        self.detector: LanguageDetector = self._detector
        self.pipeline = Pipeline(
            store=self.store, detector=self.detector, nlu=self.nlu, dialogue=self.dialogue, settings=s
        )
        self.cases = self.pipeline.cases
        self.crisis = self._crisis_mode()
        self.pipeline.crisis = self.crisis
        if self.serving:
            # the recovery service (bot/services/recovery.py) processes, now and while we run, what a dead
            # process stored and never answered
            await self._start_serving()
        else:
            await self.pipeline.recover()
        log.info("runtime_started", database=safe_url(s.database_url), nlu=s.nlu_backend,
                 channels=sorted(self.channels))

    async def _start_serving(self) -> None:
        from bot.channels.registry import build_channels
        from bot.services.registry import build_services

        ctx = ChannelContext(settings=self.settings, receiver=self.pipeline, store=self.store)
        channels = self._channels if self._channels is not None else build_channels(ctx)
        for name, channel in channels.items():
            await channel.initialize()
            self.channels[name] = channel
        if self.crisis is not None:
            from bot.crisis.channels import crisis_channels

            self.crisis.manager.channels = crisis_channels(self.settings, self.channels)
        self.supervisor = ServiceSupervisor(
            self.store, build_services(self), lease_seconds=self.settings.leader_lease_seconds
        )
        await self.supervisor.start()

    def _crisis_mode(self) -> Any:
        """Crisis mode over the playbooks in the content folder (none there: no crisis mode)."""
        from bot.crisis.channels import crisis_channels
        from bot.crisis.manager import CrisisManager
        from bot.crisis.mode import CrisisMode
        from bot.crisis.playbook import load_playbooks

        playbooks = load_playbooks(Path(self.settings.content_dir))
        if not playbooks.playbooks:
            return None
        manager = CrisisManager(self.engine, self.settings, playbooks, self.adapter,
                                crisis_channels(self.settings, {}))
        return CrisisMode(self.engine, self.settings, playbooks, self.adapter, manager)

    @property
    def services(self) -> list[Service]:
        return self.supervisor.services if self.supervisor is not None else []

    async def stop(self) -> None:
        if self.supervisor is not None:
            try:
                await self.supervisor.stop()
            except Exception:
                log.exception("shutdown_failed", part="services")
            self.supervisor = None
        for name, channel in reversed(list(self.channels.items())):
            try:
                await channel.shutdown()
            except Exception:
                log.exception("shutdown_failed", part=f"channel {name}")
        self.channels = {}
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
