"""The case desk: every read and write of handoff cases (see the package docstring for the API)."""

from __future__ import annotations

import datetime as dt
import re
import statistics
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import metrics
from bot.cases.routing import (
    compute_priority,
    expected_minutes,
    first_name,
    parse_time,
    signed,
    skills_for,
)
from bot.dialogue.base import Button, HandoffRequest, Reply
from bot.errors import BadRequest, CaseConflict, CaseNotFound, ConcurrencyConflict
from bot.nlu.base import Parse
from bot.settings import Settings
from bot.store.db import table_of
from bot.store.models import Case, Conversation
from bot.store.repo import ConversationState, NewOutbound, Store, TxStep
from bot.texts import text_for

log = structlog.get_logger("crisisbot.cases")

CASES = table_of(Case)
CONV = table_of(Conversation)
OPEN_STATES = ("queued", "claimed")
STATES = ("queued", "claimed", "resolved", "returned")
# a new request while waiting for a person: the passenger would rather have the bot do it
# a new request withdraws from the queue (the bot serves it); a question while waiting ("is KL1004 delayed?") does
# not: it goes to the case and the passenger keeps the place
NEW_REQUEST_INTENTS = ("rebook", "cancel")
# withdrawing, said so plainly that no NLU is needed (the NLU's "stop" intent covers the rest); "/stop" is the button.
# Compared after the same normalisation as the message (_norm).
_WITHDRAW = (
    "/stop", "stop", "stopp", "stoppen", "stop please", "never mind", "nevermind", "nvm", "laat maar",
    "laat maar zitten", "laisse tomber", "lass es", "basta", "chega", "para", "lascia perdere", "nieważne",
    "glöm det", "glem det", "стоп", "хватит", "dur", "boş ver", "ストップ", "やめて", "停止", "停", "算了",
)


AGENT_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")
MAX_REPLY = 4000


def _norm(text: str) -> str:
    t = unicodedata.normalize("NFKD", text.casefold())
    t = "".join(c for c in t if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w/]+", " ", t).split())


WITHDRAW_WORDS = frozenset(_norm(w) for w in _WITHDRAW)


def clean_agent(agent: str | None) -> str:
    name = " ".join((agent or "").split())
    if not name or not AGENT_NAME.match(name):
        raise BadRequest("an agent name is required (1-64 characters), e.g. --agent 'Anna de Vries'")
    return name


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(slots=True)
class CaseView:
    """One case as agents see it. ``position`` and ``expected_minutes`` are filled for queued cases."""

    id: int
    conversation_id: str
    channel: str
    recipient_id: str
    state: str
    reason: str
    summary: str
    language: str
    skills: list[str]
    priority: int
    base_priority: int
    crisis_affected: bool
    crisis_id: str | None
    departure_at: dt.datetime | None
    booking: dict[str, Any] | None
    intent: str | None
    entities: list[Any]
    context: dict[str, Any]
    first_message_id: int | None
    passenger_messages: int
    opened_at: dt.datetime
    sla_due_at: dt.datetime
    claimed_by: str | None
    claimed_at: dt.datetime | None
    first_response_at: dt.datetime | None
    last_agent_at: dt.datetime | None
    last_passenger_at: dt.datetime | None
    escalation_level: int
    closed_at: dt.datetime | None
    closed_by: str | None
    close_reason: str | None
    version: int
    position: int | None = None
    expected_minutes: int | None = None
    transcript: list[dict[str, Any]] | None = None

    @classmethod
    def from_row(cls, r: Any) -> CaseView:
        return cls(
            r.id, r.conversation_id, r.channel, r.recipient_id, r.state, r.reason, r.summary or "", r.language,
            list(r.skills or []), r.priority, r.base_priority, bool(r.crisis_affected), r.crisis_id, r.departure_at,
            r.booking, r.intent, list(r.entities or []), dict(r.context or {}), r.first_message_id,
            r.passenger_messages, r.opened_at, r.sla_due_at, r.claimed_by, r.claimed_at, r.first_response_at,
            r.last_agent_at, r.last_passenger_at, r.escalation_level, r.closed_at, r.closed_by, r.close_reason,
            r.version,
        )

    def waiting_minutes(self, now: dt.datetime) -> int:
        end = self.first_response_at or self.closed_at or now
        return max(0, int((end - self.opened_at).total_seconds() // 60))

    def to_dict(self, now: dt.datetime | None = None) -> dict[str, Any]:
        now = now or dt.datetime.now(dt.UTC)
        d: dict[str, Any] = {
            "id": self.id, "state": self.state, "reason": self.reason, "summary": self.summary,
            "language": self.language, "skills": self.skills, "priority": self.priority,
            "crisis_affected": self.crisis_affected, "crisis_id": self.crisis_id,
            "departure_at": _iso(self.departure_at), "booking": self.booking, "intent": self.intent,
            "entities": self.entities, "context": self.context, "conversation_id": self.conversation_id,
            "channel": self.channel, "recipient_id": self.recipient_id, "first_message_id": self.first_message_id,
            "passenger_messages": self.passenger_messages, "opened_at": _iso(self.opened_at),
            "sla_due_at": _iso(self.sla_due_at), "past_sla": self.first_response_at is None and now > self.sla_due_at,
            "waiting_minutes": self.waiting_minutes(now), "claimed_by": self.claimed_by,
            "claimed_at": _iso(self.claimed_at), "first_response_at": _iso(self.first_response_at),
            "last_agent_at": _iso(self.last_agent_at), "last_passenger_at": _iso(self.last_passenger_at),
            "escalation_level": self.escalation_level, "closed_at": _iso(self.closed_at),
            "closed_by": self.closed_by, "close_reason": self.close_reason,
        }
        if self.position is not None:
            d["position"] = self.position
            d["expected_minutes"] = self.expected_minutes
        if self.transcript is not None:
            d["transcript"] = self.transcript
        return d


@dataclass(slots=True)
class PassengerTurn:
    """What the desk makes of a passenger's message while a person has (or will have) the conversation."""

    replies: list[Reply]
    writes: list[TxStep] = field(default_factory=list)  # for the turn's transaction
    back_to_bot: bool = False  # the passenger withdrew: the bot owns the conversation again
    serve: bool = False  # ... and this message is a new request the bot answers now


@dataclass(slots=True)
class SweepResult:
    escalated: list[int] = field(default_factory=list)
    released: list[int] = field(default_factory=list)
    reprioritised: int = 0
    queued: dict[str, int] = field(default_factory=dict)


class CaseDesk:
    """Handoff cases over the store. ``clock`` returns aware UTC datetimes (tests pass their own)."""

    def __init__(self, store: Store, settings: Settings, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))

    # ================================================================ reading

    async def get(self, case_id: int, *, transcript: bool = False) -> CaseView:
        async with self.store.transaction() as s:
            row = (await s.execute(select(CASES).where(CASES.c.id == case_id))).first()
        if row is None:
            raise CaseNotFound(f"no case {case_id}")
        view = CaseView.from_row(row)
        if view.state == "queued":
            await self._fill_position(view)
        if transcript:
            view.transcript = await self.store.transcript(view.conversation_id)
        return view

    async def open_case(self, conversation_id: str) -> CaseView | None:
        """The conversation's open (queued or claimed) case, if any."""
        async with self.store.transaction() as s:
            row = (
                await s.execute(
                    select(CASES).where(CASES.c.conversation_id == conversation_id, CASES.c.state.in_(OPEN_STATES))
                )
            ).first()
        return CaseView.from_row(row) if row is not None else None

    async def list_cases(
        self,
        *,
        states: Sequence[str] = OPEN_STATES,
        language: str | None = None,
        skill: str | None = None,
        agent: str | None = None,
        limit: int = 100,
    ) -> list[CaseView]:
        """Cases, most urgent first (queued before claimed, then priority, then the longest waiting)."""
        bad = [st for st in states if st not in STATES]
        if bad:
            raise BadRequest(f"unknown case state {bad[0]!r}: use one of {', '.join(STATES)}")
        q = select(CASES).where(CASES.c.state.in_(list(states)))
        if language:
            q = q.where(CASES.c.language == language)
        if agent:
            q = q.where(CASES.c.claimed_by == agent)
        q = q.order_by(CASES.c.state.desc(), CASES.c.priority.desc(), CASES.c.opened_at, CASES.c.id)
        async with self.store.transaction() as s:
            rows = (await s.execute(q.limit(limit * 5 if skill else limit))).all()
        views = [CaseView.from_row(r) for r in rows]
        if skill:
            views = [v for v in views if skill in v.skills][:limit]
        for v in views:
            if v.state == "queued":
                await self._fill_position(v)
        return views

    async def _fill_position(self, view: CaseView) -> None:
        view.position, view.expected_minutes = await self.queue_figures(view.language, view.priority, view.id)

    async def queue_figures(self, language: str, priority: int, case_id: int | None = None) -> tuple[int, int | None]:
        """(place in the queue, expected minutes or None), read in one transaction."""
        async with self.store.transaction() as s:
            position = await self._position(s, language, priority, case_id)
            return position, await self._expected_wait(s, language, position)

    async def position(self, language: str, priority: int, case_id: int | None = None) -> int:
        async with self.store.transaction() as s:
            return await self._position(s, language, priority, case_id)

    async def expected_wait(self, language: str, position: int) -> int | None:
        async with self.store.transaction() as s:
            return await self._expected_wait(s, language, position)

    async def _position(self, s: AsyncConnection, language: str, priority: int, case_id: int | None) -> int:
        """Place in the queue of this language: cases of higher priority, or as urgent and older, go first."""
        ahead = CASES.c.priority > priority
        if case_id is not None:
            ahead = or_(ahead, and_(CASES.c.priority == priority, CASES.c.id < case_id))
        else:
            ahead = CASES.c.priority >= priority  # a new case goes behind those as urgent
        n = (
            await s.execute(
                select(func.count()).select_from(CASES)
                .where(CASES.c.state == "queued", CASES.c.language == language, ahead)
            )
        ).scalar_one()
        return int(n) + 1

    async def _expected_wait(self, s: AsyncConnection, language: str, position: int) -> int | None:
        """Minutes until a person answers, from how many cases colleagues answered in the recent window (in this
        language when there are enough, else in all); None when nobody answered any recently."""
        window = self.settings.cases.wait_window_minutes
        since = self.clock() - dt.timedelta(minutes=window)
        rows = (
            await s.execute(
                select(CASES.c.language, func.count()).where(CASES.c.first_response_at >= since)
                .group_by(CASES.c.language)
            )
        ).all()
        per_language = {r[0]: int(r[1]) for r in rows}
        answered = per_language.get(language, 0)
        if answered < 2:
            answered = sum(per_language.values())
        return expected_minutes(position, answered, window)

    # ================================================================ the passenger side (the pipeline's turn)

    async def prepare_open(
        self,
        conv: ConversationState,
        handoff: HandoffRequest,
        *,
        language: str,
        parse: Parse | None,
        inbound_id: int | None,
        intro: bool = False,
    ) -> tuple[list[Reply], TxStep]:
        """A new case for this handoff: the passenger's note (queue position, honest wait) and the write that opens
        it in the turn's transaction (with the Slack card, when Slack is configured)."""
        now = self.clock()
        context = dict(handoff.context)
        booking = context.pop("booking", None)
        departure = parse_time(context.get("departure"))
        crisis = bool(context.get("disrupted"))
        intent = parse.intent.name if parse is not None else None
        entities = [e.to_dict() if hasattr(e, "to_dict") else e for e in (parse.entities if parse else ())]
        skills = skills_for(handoff.reason, context, intent)
        priority = compute_priority(base=handoff.priority, opened_at=now, now=now, departure_at=departure,
                                    crisis_affected=crisis, escalation_level=0)
        position, minutes = await self.queue_figures(language, priority)
        replies = [self._wait_note("case_opened", language, position, minutes)]
        if intro:
            replies.insert(0, Reply(text_for("bot_error", language), kind="handoff"))
        sla_due = now + dt.timedelta(minutes=self.settings.cases.sla_minutes)

        async def write(s: AsyncConnection, at: dt.datetime) -> None:
            # an open case the conversation should not have (its owner was changed by hand) is superseded
            await s.execute(
                update(CASES)
                .where(CASES.c.conversation_id == conv.id, CASES.c.state.in_(OPEN_STATES))
                .values(state="returned", close_reason="superseded", closed_at=at, closed_by="system",
                        version=CASES.c.version + 1)
            )
            case_id = (
                await s.execute(
                    insert(CASES).returning(CASES.c.id),
                    {"conversation_id": conv.id, "channel": conv.channel, "recipient_id": conv.sender_id,
                     "state": "queued", "reason": handoff.reason[:64], "summary": handoff.summary,
                     "language": language, "skills": skills, "base_priority": handoff.priority,
                     "priority": priority, "crisis_affected": crisis, "crisis_id": None, "departure_at": departure,
                     "booking": booking, "intent": intent, "entities": entities, "context": context,
                     "first_message_id": inbound_id, "passenger_messages": 0, "opened_at": now,
                     "sla_due_at": sla_due, "claimed_by": None, "claimed_at": None, "first_response_at": None,
                     "last_agent_at": None, "last_passenger_at": now, "escalation_level": 0, "escalated_at": None,
                     "closed_at": None, "closed_by": None, "close_reason": None, "version": 1},
                )
            ).scalar_one()
            await self.store.add_audit_in(
                s, conv.id,
                [{"action": "case_opened", "case_id": case_id, "reason": handoff.reason, "language": language,
                  "skills": skills, "priority": priority, "to": "queued"}],
                "bot", at,
            )
            metrics.CASE_TRANSITIONS.labels("queued").inc()
            queue = self._slack_queue(language, skills)
            if queue:
                view = await self._row_view(s, case_id)
                rows = await self.store.add_outbound_in(
                    s, conv.id,
                    [NewOutbound(channel="slack", recipient_id=queue, visible=False, author="system",
                                 payload={"kind": "case_card", "case_id": case_id, "card": self.card(view, at),
                                          "text": self._card_text(view)})],
                    at,
                )
                await s.execute(
                    update(CASES).where(CASES.c.id == case_id)
                    .values(context={**context, "slack_card_outbox_id": rows[0].id, "slack_queue": queue})
                )

        return replies, write

    def is_withdrawal(self, parse: Parse) -> bool:
        if _norm(parse.text) in WITHDRAW_WORDS:
            return True
        return parse.intent.name == "stop" and parse.intent.confidence >= self.settings.nlu_threshold

    def is_new_request(self, parse: Parse) -> bool:
        return (parse.intent.name in NEW_REQUEST_INTENTS
                and parse.intent.confidence >= self.settings.nlu_action_threshold)

    async def passenger_message(
        self, conv: ConversationState, *, language: str, parse: Parse, inbound_id: int
    ) -> PassengerTurn:
        """A message from a passenger whose conversation is queued for, or owned by, a person.

        Queued: acknowledged every time with the queue position and the expected wait (never silence), added to
        the case; "stop" / "never mind" withdraws (back to the bot), and so does a new request, which the bot then
        serves. Claimed: added to the case for the agent; the bot says nothing, except once per claim a short
        note naming the agent while they have not answered yet.
        """
        case = await self.open_case(conv.id)
        if case is None and conv.owner == "agent":
            return PassengerTurn([])  # owned by a person outside the desk (set by hand): stored, the bot is silent
        if case is None:
            # queued without a case: from before cases existed, or set by hand; open one, so nobody waits unseen.
            # The handoff's context is gone; the transcript has it.
            handoff = HandoffRequest(reason=conv.handoff_reason or "unknown",
                                     summary="the conversation was queued without a case; see the transcript")
            opened, write = await self.prepare_open(conv, handoff, language=language, parse=parse,
                                                    inbound_id=inbound_id)
            return PassengerTurn(opened, [write])
        # the case's language: a short "stop" or "3" must not switch the passenger's language under them
        language = case.language or language
        if case.state == "queued" and (self.is_withdrawal(parse) or self.is_new_request(parse)):
            serve = not self.is_withdrawal(parse)
            key = "case_withdrawn_new_request" if serve else "case_withdrawn"
            return PassengerTurn([Reply(text_for(key, language))], [self._withdraw_write(case)], True, serve)
        replies: list[Reply] = []
        note_for: str | None = None
        if case.state == "queued":
            position, minutes = await self.queue_figures(case.language, case.priority, case.id)
            replies.append(self._wait_note("case_ack", language, position, minutes))
        elif (
            case.claimed_by
            and case.claimed_at is not None
            and (case.last_agent_at is None or case.last_agent_at < case.claimed_at)
            and case.context.get("agent_note_for") != _iso(case.claimed_at)
        ):
            note_for = _iso(case.claimed_at)
            replies.append(Reply(text_for("case_with_agent", language, agent=first_name(case.claimed_by)),
                                 kind="holding"))
        return PassengerTurn(replies, [self._message_write(case, parse.text, note_for)])

    def _wait_note(self, key: str, language: str, position: int, minutes: int | None) -> Reply:
        sla = int(self.settings.cases.sla_minutes)
        if minutes is None:
            text = text_for(f"{key}_unknown", language, position=position, sla=sla)
        else:
            text = text_for(key, language, position=position, minutes=minutes)
        return Reply(text, buttons=(Button(text_for("button_withdraw", language), "/stop"),), kind="holding")

    def _withdraw_write(self, case: CaseView) -> TxStep:
        async def write(s: AsyncConnection, at: dt.datetime) -> None:
            r = await s.execute(
                update(CASES).where(CASES.c.id == case.id, CASES.c.state == "queued")
                .values(state="returned", close_reason="withdrawn", closed_at=at, closed_by="passenger",
                        passenger_messages=CASES.c.passenger_messages + 1, last_passenger_at=at,
                        version=CASES.c.version + 1)
            )
            if r.rowcount != 1:  # an agent claimed it meanwhile: the turn is redone and the message goes to them
                raise ConcurrencyConflict(f"case {case.id} changed while the passenger withdrew")
            await self.store.add_audit_in(
                s, case.conversation_id,
                [{"action": "case_withdrawn", "case_id": case.id, "from": "queued", "to": "returned"}], "passenger",
                at,
            )
            metrics.CASE_TRANSITIONS.labels("returned").inc()
            await self._slack_update(s, case, at, "case_closed", "withdrawn by the passenger")

        return write

    def _message_write(self, case: CaseView, text: str, note_for: str | None) -> TxStep:
        async def write(s: AsyncConnection, at: dt.datetime) -> None:
            values: dict[str, Any] = {"passenger_messages": CASES.c.passenger_messages + 1, "last_passenger_at": at}
            if note_for is not None:
                values["context"] = {**case.context, "agent_note_for": note_for}
            r = await s.execute(
                update(CASES).where(CASES.c.id == case.id, CASES.c.state == case.state).values(**values)
            )
            if r.rowcount != 1:  # claimed, released or closed meanwhile: redo the turn with the case as it is
                raise ConcurrencyConflict(f"case {case.id} changed during the passenger's message")
            await self._slack_update(s, case, at, "case_message", text)

        return write

    # ================================================================ agents (CLI, Slack)

    async def claim(self, case_id: int, agent: str) -> CaseView:
        """Take a queued case: exactly one agent gets it (claiming your own case again is a no-op)."""
        agent = clean_agent(agent)
        now = self.clock()
        async with self.store.transaction() as s:
            case = await self._row_view(s, case_id)
            if case.state == "claimed" and case.claimed_by == agent:
                return case
            if case.state != "queued":
                raise CaseConflict(self._why_not(case, "claim"))
            # conversation first, then the case: the same lock order as the pipeline's turn
            await self._set_owner(s, case, "agent", now)
            r = await s.execute(
                update(CASES).where(CASES.c.id == case_id, CASES.c.state == "queued")
                .values(state="claimed", claimed_by=agent, claimed_at=now, version=CASES.c.version + 1)
            )
            if r.rowcount != 1:
                raise CaseConflict(f"case {case_id} was just claimed by someone else")
            await self._audit(s, case, "case_claimed", agent, now, "queued", "claimed")
            await self._slack_update(s, case, now, "case_claimed", f"claimed by {first_name(agent)}")
        metrics.CASE_TRANSITIONS.labels("claimed").inc()
        return await self.get(case_id)

    async def reply(self, case_id: int, agent: str, text: str, *, source: str | None = None) -> CaseView:
        """Send a reply to the passenger on their own channel, signed with the agent's first name.

        ``source``: the id of the agent's own message where it came from (a Slack thread reply): a platform that
        delivers the same event twice, to one process or to two, relays it once."""
        agent = clean_agent(agent)
        body = " ".join(text.split()) if "\n" not in text else text.strip()
        if not body:
            raise BadRequest("the reply is empty")
        if len(body) > MAX_REPLY:
            raise BadRequest(f"the reply is too long (over {MAX_REPLY} characters)")
        now = self.clock()
        author = f"agent:{agent}"[:64]
        async with self.store.transaction() as s:
            case = await self._row_view(s, case_id, lock=source is not None)
            if case.state != "claimed" or case.claimed_by != agent:
                raise CaseConflict(self._why_not(case, "reply to", agent))
            if source is not None and await self._relayed_already(s, case, author, source):
                return case
            payload: dict[str, Any] = {"text": signed(body, agent), "kind": "agent",
                                       "agent_name": first_name(agent), "case_id": case.id}
            if source is not None:
                payload["source"] = source
            await self.store.add_outbound_in(
                s, case.conversation_id,
                [NewOutbound(channel=case.channel, recipient_id=case.recipient_id, author=author,
                             payload=payload)],
                now,
            )
            r = await s.execute(
                update(CASES).where(CASES.c.id == case_id, CASES.c.state == "claimed", CASES.c.claimed_by == agent)
                .values(first_response_at=func.coalesce(CASES.c.first_response_at, now), last_agent_at=now,
                        version=CASES.c.version + 1)
            )
            if r.rowcount != 1:
                raise CaseConflict(f"case {case_id} is no longer yours")
            await self.store.add_audit_in(
                s, case.conversation_id,
                [{"action": "case_replied", "case_id": case.id, "chars": len(body),
                  "first": case.first_response_at is None}], f"agent:{agent}"[:64], now,
            )
        return await self.get(case_id)

    async def resolve(self, case_id: int, agent: str) -> CaseView:
        """Close the case: the bot owns the conversation again (the agent's last reply said goodbye)."""
        return await self._close(case_id, agent, "resolved", "resolved")

    async def return_to_bot(self, case_id: int, agent: str) -> CaseView:
        """Hand the conversation back to the bot without resolving it; the passenger is told so."""
        return await self._close(case_id, agent, "returned", "returned")

    async def release(self, case_id: int, agent: str, *, actor: str | None = None) -> CaseView:
        """Put a claimed case back in the queue (the agent cannot finish it)."""
        agent = clean_agent(agent)
        now = self.clock()
        async with self.store.transaction() as s:
            case = await self._row_view(s, case_id)
            if case.state != "claimed" or (actor is None and case.claimed_by != agent):
                raise CaseConflict(self._why_not(case, "release", agent))
            await self._release_in(s, case, actor or f"agent:{agent}", now)
        return await self.get(case_id)

    async def set_crisis_impact(self, case_id: int, *, affected: bool = True, crisis_id: str | None = None) -> CaseView:
        """Mark a case as affected by a crisis (the crisis playbooks do this); its priority follows."""
        now = self.clock()
        async with self.store.transaction() as s:
            case = await self._row_view(s, case_id)
            priority = self._priority(case, now, crisis_affected=affected)
            await s.execute(
                update(CASES).where(CASES.c.id == case_id)
                .values(crisis_affected=affected, crisis_id=crisis_id, priority=priority,
                        version=CASES.c.version + 1)
            )
            await self.store.add_audit_in(
                s, case.conversation_id,
                [{"action": "case_crisis_impact", "case_id": case_id, "affected": affected, "crisis_id": crisis_id}],
                "system", now,
            )
        return await self.get(case_id)

    async def _close(self, case_id: int, agent: str, state: str, close_reason: str) -> CaseView:
        agent = clean_agent(agent)
        now = self.clock()
        async with self.store.transaction() as s:
            case = await self._row_view(s, case_id)
            mine = case.state == "claimed" and case.claimed_by == agent
            if not (mine or case.state == "queued"):
                raise CaseConflict(self._why_not(case, "resolve" if state == "resolved" else "return", agent))
            await self._set_owner(s, case, "bot", now)
            r = await s.execute(
                update(CASES).where(CASES.c.id == case_id, CASES.c.state == case.state)
                .values(state=state, closed_at=now, closed_by=agent, close_reason=close_reason,
                        version=CASES.c.version + 1)
            )
            if r.rowcount != 1:
                raise CaseConflict(f"case {case_id} changed meanwhile; look again")
            if state == "returned":
                await self.store.add_outbound_in(
                    s, case.conversation_id,
                    [NewOutbound(channel=case.channel, recipient_id=case.recipient_id, author="bot",
                                 payload={"text": text_for("case_returned", case.language, agent=first_name(agent)),
                                          "kind": "text"})],
                    now,
                )
            await self._audit(s, case, f"case_{state}", agent, now, case.state, state)
            await self._slack_update(s, case, now, "case_closed", f"{state} by {first_name(agent)}")
        metrics.CASE_TRANSITIONS.labels(state).inc()
        return await self.get(case_id)

    async def _release_in(self, s: AsyncConnection, case: CaseView, actor: str, now: dt.datetime) -> None:
        await self._set_owner(s, case, "queued", now)
        r = await s.execute(
            update(CASES).where(CASES.c.id == case.id, CASES.c.state == "claimed")
            .values(state="queued", claimed_by=None, claimed_at=None, version=CASES.c.version + 1)
        )
        if r.rowcount != 1:
            raise CaseConflict(f"case {case.id} changed meanwhile; look again")
        await self.store.add_audit_in(
            s, case.conversation_id, [{"action": "case_released", "case_id": case.id, "from": "claimed",
                                       "to": "queued"}], actor[:64], now,
        )
        await self._slack_update(s, case, now, "case_released", "back in the queue")
        metrics.CASE_TRANSITIONS.labels("queued").inc()

    async def _set_owner(self, s: AsyncConnection, case: CaseView, owner: str, now: dt.datetime) -> None:
        """The conversation's owner follows the case; the version moves, so a turn in flight is redone."""
        values: dict[str, Any] = {"owner": owner, "version": CONV.c.version + 1, "updated_at": now}
        if owner == "bot":
            values["handoff_reason"] = None
        await s.execute(update(CONV).where(CONV.c.id == case.conversation_id).values(**values))

    async def _audit(
        self, s: AsyncConnection, case: CaseView, action: str, agent: str, now: dt.datetime, before: str, after: str
    ) -> None:
        await self.store.add_audit_in(
            s, case.conversation_id, [{"action": action, "case_id": case.id, "from": before, "to": after}],
            f"agent:{agent}"[:64], now,
        )

    def _why_not(self, case: CaseView, what: str, agent: str | None = None) -> str:
        if case.state == "claimed":
            if agent is not None and case.claimed_by == agent:
                return f"case {case.id} is yours already"
            return f"cannot {what} case {case.id}: it is claimed by {case.claimed_by}"
        if case.state == "queued":
            return f"cannot {what} case {case.id}: it is queued; claim it first"
        return f"cannot {what} case {case.id}: it is {case.state} ({case.close_reason or 'closed'})"

    async def _relayed_already(self, s: AsyncConnection, case: CaseView, author: str, source: str) -> bool:
        """Whether the agent's message ``source`` was relayed already (among their latest replies in the case's
        conversation; the case row is locked, so two deliveries of it cannot both miss each other)."""
        from bot.store.repo import OUTBOX

        rows = (await s.execute(
            select(OUTBOX.c.payload).where(OUTBOX.c.conversation_id == case.conversation_id, OUTBOX.c.author == author)
            .order_by(OUTBOX.c.id.desc()).limit(200)
        )).all()
        return any(isinstance(r.payload, dict) and r.payload.get("source") == source for r in rows)

    async def _row_view(self, s: AsyncConnection, case_id: int, *, lock: bool = False) -> CaseView:
        q = select(CASES).where(CASES.c.id == case_id)
        row = (await s.execute(q.with_for_update() if lock else q)).first()
        if row is None:
            raise CaseNotFound(f"no case {case_id}")
        return CaseView.from_row(row)

    def _priority(self, case: CaseView, now: dt.datetime, *, crisis_affected: bool | None = None,
                  escalation_level: int | None = None) -> int:
        return compute_priority(
            base=case.base_priority, opened_at=case.opened_at, now=now, departure_at=case.departure_at,
            crisis_affected=case.crisis_affected if crisis_affected is None else crisis_affected,
            escalation_level=case.escalation_level if escalation_level is None else escalation_level,
        )

    # ================================================================ Slack (rows for the Slack channel to post)

    def _slack_queue(self, language: str, skills: Sequence[str]) -> str | None:
        slack = self.settings.slack
        if slack.bot_token is None:
            return None
        queues = self.settings.cases.slack_queues
        for skill in skills:
            if f"skill:{skill}" in queues:
                return queues[f"skill:{skill}"]
        return queues.get(language) or slack.queue_channel

    async def _slack_update(self, s: AsyncConnection, case: CaseView, now: dt.datetime, kind: str, text: str) -> None:
        """A case event for the case card's thread in Slack (when the case was posted there)."""
        queue = case.context.get("slack_queue")
        if not queue or self.settings.slack.bot_token is None:
            return
        await self.store.add_outbound_in(
            s, case.conversation_id,
            [NewOutbound(channel="slack", recipient_id=str(queue), visible=False, author="system",
                         payload={"kind": kind, "case_id": case.id, "text": text[:3000],
                                  "card_outbox_id": case.context.get("slack_card_outbox_id")})],
            now,
        )

    def card(self, case: CaseView, now: dt.datetime | None = None) -> dict[str, Any]:
        """The case as plain data for a card (Slack blocks or any other UI): title, fields, actions."""
        now = now or self.clock()
        booking = case.booking or {}
        ref = booking.get("reference") or case.context.get("unverified_reference")
        fields = [
            ("Reason", case.reason), ("Language", case.language), ("Skills", ", ".join(case.skills) or "-"),
            ("Priority", str(case.priority)), ("Waiting", f"{case.waiting_minutes(now)} min"),
            ("SLA due", case.sla_due_at.strftime("%H:%M UTC")),
            ("Booking", f"{ref}{'' if booking.get('reference') else ' (not verified)'}" if ref else "-"),
        ]
        if case.departure_at is not None:
            fields.append(("Departure", case.departure_at.strftime("%Y-%m-%d %H:%M UTC")))
        if case.crisis_affected:
            fields.append(("Crisis", case.crisis_id or "affected"))
        actions = {"queued": ("claim", "resolve", "return"), "claimed": ("resolve", "return", "release")}
        labels = {"claim": "Claim", "resolve": "Resolve", "return": "Return to bot", "release": "Release"}
        return {
            "case_id": case.id,
            "state": case.state,
            "title": f"Case {case.id}: {case.reason} ({case.language})",
            "summary": case.summary,
            "fields": [{"label": k, "value": v} for k, v in fields],
            "offered": case.context.get("offered") or [],
            "claimed_by": case.claimed_by,
            "actions": [{"id": a, "label": labels[a], "value": str(case.id)} for a in actions.get(case.state, ())],
        }

    def _card_text(self, case: CaseView) -> str:
        return f"Case {case.id}: {case.reason} ({case.language}), priority {case.priority}"

    # ================================================================ the SLA monitor

    async def sweep(self) -> SweepResult:
        """One round of the SLA monitor: priorities follow the waiting time; cases near or past their first-response
        SLA are escalated (priority up, a message to the escalation channel); claims unanswered past the timeout go
        back to the queue. Also refreshes the queue and SLA metrics."""
        now = self.clock()
        cfg = self.settings.cases
        out = SweepResult()
        async with self.store.transaction() as s:
            rows = (await s.execute(select(CASES).where(CASES.c.state.in_(OPEN_STATES)))).all()
        for case in (CaseView.from_row(r) for r in rows):
            try:
                await self._sweep_one(case, now, cfg, out)
            except (CaseConflict, ConcurrencyConflict):
                continue  # changed meanwhile: the next round sees it as it is
        await self._refresh_metrics(now, out)
        return out

    async def _sweep_one(self, case: CaseView, now: dt.datetime, cfg: Any, out: SweepResult) -> None:
        timeout = dt.timedelta(minutes=cfg.claim_timeout_minutes)
        if (
            case.state == "claimed"
            and case.claimed_at is not None
            and (case.last_agent_at is None or case.last_agent_at < case.claimed_at)
            and now - case.claimed_at >= timeout
        ):
            async with self.store.transaction() as s:
                fresh = await self._row_view(s, case.id)
                if fresh.version != case.version:
                    return
                await self._release_in(s, fresh, "system:sla", now)
            out.released.append(case.id)
            log.info("case_claim_timed_out", case_id=case.id)
            case = await self.get(case.id)
        level = case.escalation_level
        if case.first_response_at is None:
            if now >= case.sla_due_at:
                level = max(level, 2)
            elif now >= case.sla_due_at - dt.timedelta(minutes=cfg.sla_warn_minutes):
                level = max(level, 1)
        priority = self._priority(case, now, escalation_level=level)
        if level == case.escalation_level and priority == case.priority:
            return
        async with self.store.transaction() as s:
            r = await s.execute(
                update(CASES).where(CASES.c.id == case.id, CASES.c.version == case.version)
                .values(priority=priority, escalation_level=level, version=CASES.c.version + 1,
                        escalated_at=now if level > case.escalation_level else CASES.c.escalated_at)
            )
            if r.rowcount != 1:
                return
            if level > case.escalation_level:
                what = "past" if level >= 2 else "near"
                await self.store.add_audit_in(
                    s, case.conversation_id,
                    [{"action": "case_escalated", "case_id": case.id, "level": level, "sla": what,
                      "priority": priority}], "system:sla", now,
                )
                target = self.settings.slack.escalation_channel if self.settings.slack.bot_token else None
                if target:
                    waited = case.waiting_minutes(now)
                    await self.store.add_outbound_in(
                        s, case.conversation_id,
                        [NewOutbound(channel="slack", recipient_id=target, visible=False, author="system",
                                     payload={"kind": "case_escalation", "case_id": case.id, "level": level,
                                              "card": self.card(case, now),
                                              "text": f"Case {case.id} ({case.language}, {case.reason}) is {what} "
                                                      f"its first-response SLA: waiting {waited} min, "
                                                      f"{case.state}" + (f" by {case.claimed_by}"
                                                                         if case.claimed_by else "")})],
                        now,
                    )
                metrics.CASE_ESCALATIONS.labels(what).inc()
                out.escalated.append(case.id)
        out.reprioritised += 1

    async def _refresh_metrics(self, now: dt.datetime, out: SweepResult) -> None:
        since = now - dt.timedelta(hours=24)
        async with self.store.transaction() as s:
            queued = (
                await s.execute(
                    select(CASES.c.language, func.count()).where(CASES.c.state == "queued")
                    .group_by(CASES.c.language)
                )
            ).all()
            answered = (
                await s.execute(
                    select(CASES.c.opened_at, CASES.c.first_response_at, CASES.c.sla_due_at)
                    .where(CASES.c.first_response_at >= since)
                )
            ).all()
            past = (
                await s.execute(
                    select(func.count()).select_from(CASES)
                    .where(CASES.c.state.in_(OPEN_STATES), CASES.c.first_response_at.is_(None),
                           CASES.c.sla_due_at < now)
                )
            ).scalar_one()
        out.queued = {r[0]: int(r[1]) for r in queued}
        for lang in set(self.settings.languages) | set(out.queued):
            metrics.CASES_QUEUED.labels(lang).set(out.queued.get(lang, 0))
        metrics.CASES_PAST_SLA.set(int(past))
        if answered:
            waits = sorted((a.first_response_at - a.opened_at).total_seconds() for a in answered)
            metrics.CASE_FIRST_RESPONSE.labels("p50").set(statistics.median(waits))
            metrics.CASE_FIRST_RESPONSE.labels("p90").set(waits[min(len(waits) - 1, int(len(waits) * 0.9))])
            met = sum(1 for a in answered if a.first_response_at <= a.sla_due_at)
            metrics.CASE_SLA_COMPLIANCE.set(met / len(answered))
