"""The channel-neutral message pipeline.

    inbound -> dedupe -> one turn per conversation at a time -> language -> NLU -> dialogue -> outbox

Each step is a seam: channels produce ``InboundMessage``; the language detector, the NLU backend and the dialogue
engine are injected; the store keeps everything, so a restart or a second process continues where this one stopped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
import unicodedata
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

import structlog

from bot import metrics, privacy
from bot.cases import CaseDesk
from bot.dialogue.base import CLIENT_ADDRESS, DialogueEngine, Reply, Turn, TurnResult
from bot.errors import ConcurrencyConflict, CrisisbotError, NLUError, StoreError
from bot.messages import InboundMessage, OutboundMessage, ReceiveResult
from bot.nlu.base import FALLBACK_INTENT, Detection, IntentPrediction, NLUBackend, Parse
from bot.settings import Settings
from bot.store.repo import ConversationState, NewOutbound, Store, StoredInbound, TxStep

__all__ = ["InboundMessage", "OutboundMessage", "Pipeline", "ReceiveResult", "clean_text"]

log = structlog.get_logger("crisisbot.pipeline")

MAX_STORED_TEXT = 20_000
UNBOUNDED_ID = 2**62  # "every outbox row so far" for take_undelivered


class LanguageDetector(Protocol):
    """bot.nlu.language.LanguageDetector, as the pipeline uses it."""

    def detect(self, text: str, current: str | None) -> Detection: ...

    def detect_in_conversation(self, text: str, current: str | None, *, settled: bool = False) -> Detection: ...


def clean_text(text: str) -> str:
    """Make any input storable and parseable: no NULs or control characters, bounded length."""
    if not isinstance(text, str):
        text = str(text)
    text = "".join(
        ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in text[:MAX_STORED_TEXT]
    )
    return text.strip()


class Pipeline:
    def __init__(
        self,
        *,
        store: Store,
        detector: LanguageDetector,
        nlu: NLUBackend,
        dialogue: DialogueEngine,
        settings: Settings,
        cases: CaseDesk | None = None,
    ) -> None:
        self.store = store
        self.detector = detector
        self.nlu = nlu
        self.dialogue = dialogue
        self.settings = settings
        self.cases = cases or CaseDesk(store, settings)
        self.crisis: Any = None  # bot.crisis.mode.CrisisMode: crisis mode while a crisis runs (set by the Runtime)
        self.worker_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._locks: dict[str, asyncio.Lock] = {}
        self._lock_users: dict[str, int] = {}
        self._held: dict[str, int] = {}  # conversations whose lease this process holds (renewed by the heartbeat)
        self._released: set[str] = set()  # leases released by a turn's commit (nothing left to release)

    # ---- public ---------------------------------------------------------------------------------------------------

    async def receive(self, msg: InboundMessage) -> ReceiveResult:
        started = time.perf_counter()
        CLIENT_ADDRESS.set(msg.client_address)  # for the dialogue's verification throttle (per client address)
        text = clean_text(msg.text)
        privacy.forget()  # a new turn: its message is masked wherever it turns up in a log line or audit row
        privacy.remember(text, msg.sender_name)
        # the in-process lock first (per sender), so that storing the message can take the lease in the same
        # transaction; the message is stored before anything is acknowledged, so nothing is lost if we die here
        async with self._local_lock(msg.channel, msg.sender_id):
            rec = await self.store.record_inbound(
                channel=msg.channel,
                sender_id=msg.sender_id,
                platform_message_id=msg.message_id,
                text=text,
                payload=msg.metadata or None,
                sender_name=msg.sender_name,
                lease_owner=self.worker_id,
                lease_seconds=self.settings.lease_seconds,
            )
            metrics.MESSAGES_IN.labels(msg.channel).inc()
            if rec.duplicate:
                metrics.DUPLICATES.labels(msg.channel).inc()
                if rec.processed:
                    return await self._replay(rec.conversation_id, rec.message_id, msg)
            async with self._leased(rec.conversation_id, rec.conversation) as conv:
                result = await self._process_received(conv, rec.message_id, msg.inline_reply, rec.waiting)
                if result is None:
                    # processed meanwhile (by the sweeper, or another process): answer with its replies
                    result = await self._replay(rec.conversation_id, rec.message_id, msg)
            if msg.inline_reply and not result.duplicate:
                # the replies are marked delivered only now, with the response on its way: a process that dies
                # before leaves them pending, and they travel with the passenger's next response (or web chat poll).
                # Replies to earlier messages that no response carried (answered by recovery) go first, and so do
                # messages written for this passenger meanwhile (an agent's reply), also when the bot says nothing.
                up_to = max(r.outbox_id for r in result.replies) if result.replies else UNBOUNDED_ID
                taken = await self.store.take_undelivered(msg.channel, msg.sender_id, up_to_id=up_to)
                replies = {m.outbox_id: m for m in result.replies}  # ours, even if a web chat poll took them
                for row in taken:
                    replies.setdefault(row.id, OutboundMessage.from_row(row))
                result.replies = [replies[i] for i in sorted(replies)]
        metrics.TURN_SECONDS.observe(time.perf_counter() - started)
        return result

    async def recover(self, older_than_seconds: float | None = None) -> int:
        """Process inbound messages stored but never answered (their process died, or gave up), conversation by
        conversation in arrival order. Returns how many messages. The recovery service calls this continuously."""
        age = older_than_seconds if older_than_seconds is not None else self.settings.recovery_grace_seconds
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age)
        stalled = await self.store.stalled_conversations(cutoff)
        if not stalled:
            return 0
        sem = asyncio.Semaphore(self.settings.recovery_concurrency)

        async def one(c: dict[str, Any]) -> int:
            async with sem:
                try:
                    return await self._recover_conversation(c["conversation_id"], c["channel"], c["sender_id"])
                except (ConcurrencyConflict, StoreError) as exc:  # the next sweep tries again
                    log.warning("recovery_deferred", error=type(exc).__name__)
                    return 0

        count = sum(await asyncio.gather(*(one(c) for c in stalled)))
        if count:
            metrics.RECOVERED.inc(count)
            log.info("recovered_unprocessed_messages", count=count)
        return count

    async def renew_leases(self) -> int:
        """Heartbeat: extend the leases of the conversations this process is working on."""
        held = list(self._held)
        return await self.store.renew_leases(held, self.worker_id, self.settings.lease_seconds) if held else 0

    async def _recover_conversation(self, conversation_id: str, channel: str, sender_id: str) -> int:
        key = f"{channel}\x00{sender_id}"
        lock = self._locks.get(key)
        if lock is not None and lock.locked():
            return 0  # this process is working on it right now
        async with self._local_lock(channel, sender_id):
            conv = await self.store.acquire_lease(conversation_id, self.worker_id, self.settings.lease_seconds)
            if conv is None:
                return 0  # a live process holds it
            count = 0
            async with self._leased(conversation_id, conv) as conv:
                result = await self._process_received(conv, None, False)
                count = result.processed if result is not None else 0
            return count

    # ---- serialisation per conversation ---------------------------------------------------------------------------

    def _hold(self, conversation_id: str) -> None:
        self._held[conversation_id] = self._held.get(conversation_id, 0) + 1

    def _unhold(self, conversation_id: str) -> None:
        n = self._held.get(conversation_id, 0) - 1
        if n <= 0:
            self._held.pop(conversation_id, None)
        else:
            self._held[conversation_id] = n

    @asynccontextmanager
    async def _local_lock(self, channel: str, sender_id: str) -> AsyncIterator[None]:
        """One turn per conversation at a time within this process."""
        key = f"{channel}\x00{sender_id}"
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._lock_users[key] = self._lock_users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._lock_users[key] -= 1
            if self._lock_users[key] == 0:
                del self._lock_users[key]
                self._locks.pop(key, None)

    @asynccontextmanager
    async def _leased(
        self, conversation_id: str, conv: ConversationState | None = None
    ) -> AsyncIterator[ConversationState]:
        """The conversation's lease across processes (a row in the database), taken unless already held.

        The lease is short and renewed by a heartbeat while held (``renew_leases``), so the lease of a process
        that died is taken over within ``lease_seconds``. complete_turn releases it with the turn's commit; if the
        turn fails before that, it is released here.
        """
        deadline = time.monotonic() + self.settings.lock_wait_seconds
        delay = 0.005
        while conv is None:
            conv = await self.store.acquire_lease(conversation_id, self.worker_id, self.settings.lease_seconds)
            if conv is None:
                if time.monotonic() > deadline:
                    raise ConcurrencyConflict(f"conversation {conversation_id} is busy in another process")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.25)
        self._hold(conversation_id)
        try:
            yield conv
        finally:
            self._unhold(conversation_id)
            if conversation_id in self._released:
                self._released.discard(conversation_id)  # released with the last turn's commit
            elif conversation_id not in self._held:
                try:
                    await self.store.release_lease(conversation_id, self.worker_id)
                except StoreError:  # it expires on its own
                    log.warning("lease_release_failed")

    # ---- turns in arrival order -----------------------------------------------------------------------------------

    async def _process_received(
        self, conv: ConversationState, up_to: int | None, inline: bool, waiting: list[StoredInbound] | None = None
    ) -> ReceiveResult | None:
        """Under the lease: process the conversation's stored, unprocessed messages one turn each, oldest first,
        up to ``up_to`` (all when None). A message never runs while an earlier one of its conversation waits.

        Returns the last turn's result with the replies of every turn (None when ``up_to`` was processed already).
        """
        if waiting is None:  # (read with the insert when the lease was taken then)
            waiting = await self.store.received_messages(conv.id, up_to)
        if up_to is not None and (not waiting or waiting[-1].id != up_to):
            # ours was processed meanwhile; earlier ones may still wait (they are the sweeper's)
            return None
        if not waiting:
            return None
        replies: list[OutboundMessage] = []
        result: ReceiveResult | None = None
        for m in waiting:
            # the last turn releases the lease with its commit
            r = await self._turn_with_retry(conv, m, inline, release=m is waiting[-1])
            if r is None:
                continue  # processed by another worker meanwhile
            conv, result = r
            replies.extend(result.replies)
        if result is None:
            return None
        result.replies = replies
        result.processed = len(waiting)
        return result

    # ---- one turn -------------------------------------------------------------------------------------------------

    async def _replay(self, conversation_id: str, inbound_id: int, msg: InboundMessage | None = None) -> ReceiveResult:
        rows = await self.store.replies_to(inbound_id, conversation_id)
        if msg is not None:
            # never another conversation's replies
            rows = [r for r in rows if r.channel == msg.channel and r.recipient_id == msg.sender_id]
            if msg.inline_reply:
                await self.store.mark_delivered([r.id for r in rows if r.status != "sent"])
        return ReceiveResult(conversation_id, inbound_id, True, [OutboundMessage.from_row(r) for r in rows])

    async def _turn_with_retry(
        self, conv: ConversationState, m: StoredInbound, inline: bool, release: bool
    ) -> tuple[ConversationState, ReceiveResult] | None:
        for _attempt in range(3):
            try:
                return await self._turn(conv, m, inline, release)
            except ConcurrencyConflict:
                # our lease ran out (a stalled process) and another worker went on: take it again and redo, unless
                # the message was processed meanwhile; every side effect of a turn is idempotent, so doing it again
                # changes nothing twice
                again = None
                deadline = time.monotonic() + self.settings.lock_wait_seconds
                while again is None:
                    if await self.store.inbound_status(m.id) != "received":
                        return None
                    again = await self.store.acquire_lease(conv.id, self.worker_id, self.settings.lease_seconds)
                    if again is None:
                        if time.monotonic() > deadline:
                            raise
                        await asyncio.sleep(0.05)
                conv = again
        raise ConcurrencyConflict(f"conversation {conv.id}: could not complete the turn")

    async def _turn(
        self, conv: ConversationState, m: StoredInbound, inline: bool, release: bool
    ) -> tuple[ConversationState, ReceiveResult]:
        inbound_id, text = m.id, m.text
        privacy.remember(text)  # also for earlier messages processed now, and the recovery sweeper's turns
        # the message answers the question the conversation stood at when it arrived; if the conversation has moved
        # on since (another turn completed in between), it must not execute a booking change
        stale = m.conv_version is None or m.conv_version < conv.version
        detection = self._detect(text, conv)
        context = dict(conv.state.get("nlu_context") or {})
        parse = await self._parse(text, detection, context)
        language = parse.language
        audit: list[dict[str, Any]] = []
        owner, handoff_reason = conv.owner, conv.handoff_reason
        state = conv.state
        replies: list[Reply] = []
        side: list[NewOutbound] = []

        extra: list[TxStep] = []
        serve = conv.owner not in ("queued", "agent")
        if not serve:
            # a person has, or will have, the conversation: the case desk answers (never silence while queued;
            # nothing of the bot's own while an agent has it) and adds the message to the case
            desk = await self.cases.passenger_message(conv, language=language, parse=parse, inbound_id=inbound_id)
            replies, extra = list(desk.replies), list(desk.writes)
            if conv.owner == "queued" and not desk.back_to_bot:
                # "who pays for the hotel?" while waiting: what the bot knows, then the place in the queue
                replies = [*self.dialogue.answers_while_queued(parse, language), *replies]
            if desk.back_to_bot:  # the passenger withdrew; a new request is served right away
                owner, handoff_reason, serve = "bot", None, desk.serve
                audit.append({"action": "handoff_withdrawn", "new_request": desk.serve})
        inbound_status = "processed"
        if serve:
            crisis = await self._crisis_context()
            result = await self._decide(conv, language, text, parse, stale, crisis)
            state, replies = result.state, [*replies, *result.replies]
            if crisis is not None:
                state, replies = await self._crisis_mode(crisis, conv, language, state, replies, result, audit)
            # handoffs and language flags are audited here, once, whatever the engine also reports
            audit.extend(e for e in result.events if e.get("action") not in ("handoff", "flag_language"))
            side = [
                NewOutbound(channel=sm.channel, recipient_id=sm.recipient, payload={"text": sm.text}, visible=False)
                for sm in result.side_messages
            ]
            if result.handoff is not None:
                owner, handoff_reason = "queued", result.handoff.reason
                # the audit row's summary is redacted (bot/privacy.py); the case keeps it for the agent
                audit.append({"action": "handoff", "reason": result.handoff.reason,
                              "summary": result.handoff.summary, "priority": result.handoff.priority})
                notes, opening = await self.cases.prepare_open(
                    conv, result.handoff, language=language, parse=parse, inbound_id=inbound_id
                )
                replies.extend(notes)
                extra.append(opening)

        if detection.settled and isinstance(state, dict) and not state.get("language_settled"):
            state = {**state, "language_settled": True}
        if not detection.supported:
            # answered in English; flagged so that a colleague who speaks the language can pick it up
            detected = detection.detected
            audit.append({"action": "flag_language", "reason": "unsupported_language", "detected": detected})
            metrics.UNSUPPORTED_LANGUAGE.labels(detected or "unknown").inc()
        outbound = [
            # inline replies are marked delivered when the response leaves (receive), not with the turn's commit
            NewOutbound(channel=conv.channel, recipient_id=conv.sender_id, payload=r.to_dict())
            for r in replies
        ]
        new_language = language if detection.supported else (conv.language or language)
        rows = await self.store.complete_turn(
            conversation_id=conv.id,
            expected_version=conv.version,
            lease_owner=self.worker_id,
            inbound_id=inbound_id,
            parse=parse.to_dict(),
            inbound_status=inbound_status,
            state=state,
            language=new_language,
            owner=owner,
            handoff_reason=handoff_reason,
            outbound=[*outbound, *side],
            audit=audit,
            extra=extra,
            release=release,
        )
        if release:
            self._released.add(conv.id)
        metrics.REPLIES.labels(conv.channel).inc(len(outbound))
        metrics.INTENTS.labels(parse.intent.name).inc()
        self._report(conv, language, parse, audit)
        out_rows = [r for r in rows if r.channel == conv.channel and r.recipient_id == conv.sender_id]
        after = ConversationState(conv.id, conv.channel, conv.sender_id, new_language, owner, handoff_reason, state,
                                  conv.version + 1)
        return after, ReceiveResult(
            conv.id, inbound_id, False, [OutboundMessage.from_row(r) for r in out_rows], language, parse.intent.name
        )

    @staticmethod
    def _report(conv: ConversationState, language: str, parse: Parse, audit: list[dict[str, Any]]) -> None:
        """After the commit: one INFO line and a metric for what an operator must see (no personal data)."""
        if parse.intent.name == FALLBACK_INTENT:
            metrics.NLU_FALLBACKS.labels(language).inc()
        for event in audit:
            action = event.get("action")
            if action == "change_executed":
                outcome = str(event.get("result", "done"))
                metrics.BOOKING_CHANGES.labels(str(event.get("change")), conv.channel, language, outcome).inc()
                log.info("booking_changed", change=event.get("change"), outcome=outcome, channel=conv.channel,
                         language=language, conversation=conv.id[:8])
            elif action == "handoff":
                metrics.HANDOFFS.labels(str(event.get("reason"))).inc()
                log.info("handed_off", reason=event.get("reason"), priority=event.get("priority"),
                         channel=conv.channel, language=language, conversation=conv.id[:8])

    def _detect(self, text: str, conv: ConversationState) -> Detection:
        try:
            # the language belongs to the conversation: a name, a code or a short answer never changes it
            settled = bool(isinstance(conv.state, dict) and conv.state.get("language_settled"))
            return self.detector.detect_in_conversation(text, conv.language, settled=settled)
        except Exception:  # a detector bug must not lose the message
            log.exception("language_detection_failed")
            return Detection(conv.language or self.settings.default_language, True, False)

    async def _parse(self, text: str, detection: Detection, context: dict[str, Any]) -> Parse:
        started = time.perf_counter()
        try:
            parse = await self.nlu.parse(text, detection.language, context=context)
        except NLUError as exc:
            log.warning("nlu_failed", error=str(exc))
            parse = Parse(text=text, language=detection.language, intent=IntentPrediction(FALLBACK_INTENT, 0.0),
                          flags=("nlu_error",))
        finally:
            metrics.NLU_SECONDS.observe(time.perf_counter() - started)
        if not detection.supported and "unsupported_language" not in parse.flags:
            parse = Parse(parse.text, parse.language, parse.intent, parse.intent_ranking, parse.entities,
                          (*parse.flags, "unsupported_language"))
        return parse

    async def _crisis_context(self) -> Any:
        if self.crisis is None:
            return None
        try:
            return await self.crisis.context()
        except StoreError:
            log.warning("crisis_mode_unavailable")  # the bot answers as usual
            return None

    async def _crisis_mode(self, crisis: Any, conv: ConversationState, language: str, state: dict[str, Any],
                           replies: list[Reply], result: TurnResult,
                           audit: list[dict[str, Any]]) -> tuple[dict[str, Any], list[Reply]]:
        """Open with the holding message when the human queue is long; put affected passengers first in it."""
        now = dt.datetime.now(dt.UTC)
        first = crisis.crises[0]
        if state.get("crisis_greeted") != first.id:
            state = {**state, "crisis_greeted": first.id}
            if await self.crisis.queue_length() >= self.settings.crisis_holding_queue and not any(
                    r.kind == "crisis_faq" for r in replies):
                replies = [Reply(crisis.holding(language, now), kind="holding"), *replies]
                audit.append({"action": "crisis_holding", "crisis": first.id})
        if result.handoff is not None:
            verified = state.get("verified") if isinstance(state.get("verified"), dict) else {}
            affected = await self.crisis.affected_by(crisis, (verified or {}).get("reference"), now)
            if affected is not None:
                result.handoff = type(result.handoff)(
                    reason=result.handoff.reason, summary=f"{result.handoff.summary}; crisis={affected.id} affected",
                    priority=max(result.handoff.priority, 2))
                state = {**state, "crisis_affected": affected.id}
                audit.append({"action": "crisis_affected", "crisis": affected.id})
        return state, replies

    async def _decide(
        self, conv: ConversationState, language: str, text: str, parse: Parse, stale: bool = False,
        crisis: Any = None,
    ) -> TurnResult:
        turn = Turn(
            conversation_id=conv.id,
            channel=conv.channel,
            sender_id=conv.sender_id,
            language=language,
            text=text,
            parse=parse,
            state=conv.state,
            now=dt.datetime.now(dt.UTC),
            owner=conv.owner,
            stale=stale,
            crisis=crisis,
        )
        try:
            return await self.dialogue.handle(turn)
        except (StoreError, ConcurrencyConflict):
            raise
        except (CrisisbotError, Exception):  # a bug in a flow must not lose the passenger: apologise, hand off
            log.exception("dialogue_failed")
            from bot.dialogue.base import HandoffRequest
            from bot.texts import text_for

            return TurnResult(
                replies=[Reply(text_for("bot_error", language), kind="handoff")],
                state=conv.state,
                handoff=HandoffRequest(reason="bot_error", summary="the dialogue engine failed on this message"),
            )
