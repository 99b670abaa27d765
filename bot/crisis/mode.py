"""Crisis mode: what the bot does differently while a crisis runs.

* answers crisis questions from the playbook's FAQ in the passenger's language (bot.crisis.faq),
* applies the playbook's waivers when an affected booking is rebooked or cancelled (bot.dialogue.actions),
* queues change requests while the reservation system is down (a playbook with ``changes_unavailable``),
* opens with the holding message when the human queue is long, and puts affected passengers first in it
  (bot.pipeline).

The active crises are read from the database and cached for a couple of seconds, so every process of a deployment
switches within that time of ``crisisbot crisis start`` without any message between them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.crisis.faq import FaqIndex, FaqMatch
from bot.crisis.manager import CrisisManager
from bot.crisis.playbook import Playbook, PlaybookSet
from bot.crisis.render import variables
from bot.crisis.templates import render
from bot.reservations.base import Booking, FlightScope, ReservationAdapter, ReservationError, Waiver
from bot.settings import Settings
from bot.store.models import Conversation

log = structlog.get_logger("crisisbot.crisis")

ACTION_INTENTS = ("rebook", "cancel", "flight_status", "request_human", "stop")
# how similar a message must be to an FAQ question (tuned on paraphrases in every language; see tests/crisis)
FAQ_SCORE, FAQ_MARGIN = 0.40, 0.10
FAQ_SCORE_OVER_ACTION, FAQ_MARGIN_OVER_ACTION = 0.60, 0.15  # "Can I rebook for free?" is a question, not a rebook
CACHE_SECONDS = 2.0


@dataclass(frozen=True)
class ActiveCrisis:
    id: str
    playbook: Playbook
    params: dict[str, Any]
    started_at: dt.datetime
    next_update_at: dt.datetime | None
    scope: FlightScope
    waiver: Waiver

    def texts(self, key: str, language: str, settings: Settings, now: dt.datetime,
              extra: Mapping[str, str] | None = None) -> str:
        v = variables(self.playbook, self.params, language, settings, now=now, next_update_at=self.next_update_at,
                      started_at=self.started_at, extra=extra)
        return render(self.playbook.text(key, language), v).strip()


@dataclass(frozen=True)
class FaqAnswer:
    crisis: ActiveCrisis
    entry_id: str
    text: str
    score: float


@dataclass
class CrisisContext:
    """What one turn sees of crisis mode (``Turn.crisis``)."""

    mode: CrisisMode
    crises: list[ActiveCrisis] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return self.mode.settings

    def answer(self, text: str, language: str, *, intent: str, confident: bool,
               now: dt.datetime) -> FaqAnswer | None:
        """The FAQ answer to this message, if it is a crisis question."""
        best: tuple[ActiveCrisis, FaqMatch] | None = None
        for c in self.crises:
            m = self.mode.index(c.playbook).match(text, language)
            if m is not None and (best is None or m.score > best[1].score):
                best = (c, m)
        if best is None:
            return None
        crisis, m = best
        if intent == "crisis_info" and confident:
            ok = m.score >= FAQ_SCORE * 0.75
        elif intent in ACTION_INTENTS and confident:
            ok = m.score >= FAQ_SCORE_OVER_ACTION and m.margin >= FAQ_MARGIN_OVER_ACTION and "?" in text
        else:
            ok = m.score >= FAQ_SCORE and m.margin >= FAQ_MARGIN
        if not ok:
            return None
        v = variables(crisis.playbook, crisis.params, language, self.settings, now=now,
                      next_update_at=crisis.next_update_at, started_at=crisis.started_at)
        body = m.entry.answer.get(language) or m.entry.answer["en"]
        return FaqAnswer(crisis, m.entry.id, render(body, v).strip(), m.score)

    def holding(self, language: str, now: dt.datetime) -> str:
        c = self.crises[0]
        return c.texts("holding", language, self.settings, now)

    def faq_text(self, entry_id: str, language: str, now: dt.datetime) -> str | None:
        for c in self.crises:
            for e in c.playbook.faq:
                if e.id == entry_id:
                    v = variables(c.playbook, c.params, language, self.settings, now=now,
                                  next_update_at=c.next_update_at, started_at=c.started_at)
                    return render(e.answer.get(language) or e.answer["en"], v).strip()
        return None

    @property
    def changes_unavailable(self) -> ActiveCrisis | None:
        return next((c for c in self.crises if c.playbook.policy.changes_unavailable), None)

    def affecting(self, booking: Booking, now: dt.datetime) -> ActiveCrisis | None:
        return next((c for c in self.crises if c.scope.affects(booking, now)), None)

    def affecting_flight(self, number: str, origin: str, destination: str,
                         departure: dt.datetime) -> ActiveCrisis | None:
        """The crisis whose airports and hours include this flight, if any."""
        return next((c for c in self.crises if c.scope.matches(number, origin, destination, departure)), None)

    def waiver_for(self, booking: Booking, now: dt.datetime) -> tuple[ActiveCrisis, Waiver] | None:
        """The waiver of the first active crisis whose scope includes this booking and whose policy waives."""
        for c in self.crises:
            if (c.waiver.change_fee or c.waiver.refund) and c.scope.affects(booking, now):
                return c, c.waiver
        return None


class CrisisMode:
    def __init__(self, engine: AsyncEngine, settings: Settings, playbooks: PlaybookSet,
                 adapter: ReservationAdapter | None, manager: CrisisManager | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.playbooks = playbooks
        self.adapter = adapter
        self.manager = manager or CrisisManager(engine, settings, playbooks, adapter)
        self._indexes: dict[str, FaqIndex] = {}
        self._cached: tuple[float, list[ActiveCrisis]] | None = None
        self._queue: tuple[float, int] | None = None

    def index(self, playbook: Playbook) -> FaqIndex:
        if playbook.id not in self._indexes:
            self._indexes[playbook.id] = FaqIndex(self.playbooks, playbook)
        return self._indexes[playbook.id]

    def invalidate(self) -> None:
        self._cached = None

    async def active(self) -> list[ActiveCrisis]:
        now = time.monotonic()
        if self._cached is not None and now - self._cached[0] < CACHE_SECONDS:
            return self._cached[1]
        out = []
        for row in await self.manager.active():
            pb = self.playbooks.playbooks.get(row["playbook_id"])
            if pb is None:  # a playbook removed while its crisis runs: no crisis mode for it
                continue
            started = row["started_at"] or row["created_at"]
            out.append(ActiveCrisis(
                id=row["id"], playbook=pb, params=dict(row["params"] or {}), started_at=started,
                next_update_at=row["next_update_at"], scope=self.manager.scope(pb, row["params"] or {}, started),
                waiver=self.manager.waiver(row["id"], pb, row["params"] or {}, started),
            ))
        self._cached = (now, out)
        return out

    async def context(self) -> CrisisContext | None:
        crises = await self.active()
        return CrisisContext(self, crises) if crises else None

    async def queue_length(self) -> int:
        """Conversations waiting for a human (cached for a few seconds)."""
        now = time.monotonic()
        if self._queue is not None and now - self._queue[0] < 5.0:
            return self._queue[1]
        async with self.engine.connect() as conn:
            n = int((await conn.execute(select(func.count()).select_from(Conversation).where(
                Conversation.owner == "queued"))).scalar_one())
        self._queue = (now, n)
        return n

    async def affected_by(self, ctx: CrisisContext, reference: str | None, now: dt.datetime) -> ActiveCrisis | None:
        """The crisis that affects this (verified) booking, if any."""
        if not reference or self.adapter is None:
            return None
        try:
            booking = await self.adapter.get_booking(reference)
        except ReservationError:
            return None
        return ctx.affecting(booking, now)
