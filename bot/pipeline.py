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
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from bot import metrics, privacy
from bot.dialogue.base import CLIENT_ADDRESS, DialogueEngine, Reply, Turn, TurnResult
from bot.errors import ConcurrencyConflict, CrisisbotError, NLUError, StoreError
from bot.messages import InboundMessage, OutboundMessage, ReceiveResult
from bot.nlu.base import FALLBACK_INTENT, IntentPrediction, NLUBackend, Parse
from bot.settings import Settings
from bot.store.repo import ConversationState, NewOutbound, Store

__all__ = ["InboundMessage", "OutboundMessage", "Pipeline", "ReceiveResult", "clean_text"]

log = structlog.get_logger("crisisbot.pipeline")

MAX_STORED_TEXT = 20_000


@dataclass(frozen=True, slots=True)
class Detection:
    language: str
    supported: bool = True
    confident: bool = True


class LanguageDetector(Protocol):
    def detect(self, text: str, current: str | None) -> Detection: ...


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
    ) -> None:
        self.store = store
        self.detector = detector
        self.nlu = nlu
        self.dialogue = dialogue
        self.settings = settings
        self.worker_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._locks: dict[str, asyncio.Lock] = {}
        self._lock_users: dict[str, int] = {}

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
                    return await self._replay(rec.conversation_id, rec.message_id)
            async with self._leased(rec.conversation_id, rec.conversation) as conv:
                if rec.duplicate and await self.store.inbound_status(rec.message_id) != "received":
                    # the first delivery finished (in another process) while we waited: answer with its replies
                    await self.store.release_lease(conv.id, self.worker_id)
                    return await self._replay(rec.conversation_id, rec.message_id)
                result = await self._turn_with_retry(conv, rec.message_id, text, msg.inline_reply)
        metrics.TURN_SECONDS.observe(time.perf_counter() - started)
        return result

    async def recover(self, older_than_seconds: float | None = None) -> int:
        """Process inbound messages a dead process stored but never answered. Returns how many."""
        age = older_than_seconds if older_than_seconds is not None else self.settings.lease_seconds
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age)
        count = 0
        for m in await self.store.unprocessed_inbound(cutoff):
            async with self._local_lock(m["channel"], m["sender_id"]), self._leased(m["conversation_id"]) as conv:
                if await self.store.inbound_status(m["id"]) != "received":
                    await self.store.release_lease(conv.id, self.worker_id)
                    continue
                await self._turn_with_retry(conv, m["id"], m["text"], False)
                count += 1
        if count:
            log.info("recovered_unprocessed_messages", count=count)
        return count

    # ---- serialisation per conversation ---------------------------------------------------------------------------

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

        complete_turn releases the lease with the turn's commit; if the turn fails before that, it is released here.
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
        ok = False
        try:
            yield conv
            ok = True
        finally:
            if not ok:
                await self.store.release_lease(conversation_id, self.worker_id)

    # ---- one turn -------------------------------------------------------------------------------------------------

    async def _replay(self, conversation_id: str, inbound_id: int) -> ReceiveResult:
        rows = await self.store.replies_to(inbound_id)
        return ReceiveResult(conversation_id, inbound_id, True, [OutboundMessage.from_row(r) for r in rows])

    async def _turn_with_retry(
        self, conv: ConversationState, inbound_id: int, text: str, inline: bool
    ) -> ReceiveResult:
        for _attempt in range(3):
            try:
                return await self._turn(conv, inbound_id, text, inline)
            except ConcurrencyConflict:
                # our lease ran out (a very slow turn) and another worker went first: take it again and redo;
                # every side effect of a turn is idempotent, so doing it again changes nothing twice
                again = await self.store.acquire_lease(conv.id, self.worker_id, self.settings.lease_seconds)
                if again is None:
                    await asyncio.sleep(0.05)
                    again = await self.store.load_conversation(conv.id)
                conv = again
        raise ConcurrencyConflict(f"conversation {conv.id}: could not complete the turn")

    async def _turn(self, conv: ConversationState, inbound_id: int, text: str, inline: bool) -> ReceiveResult:
        detection = self._detect(text, conv)
        context = dict(conv.state.get("nlu_context") or {})
        parse = await self._parse(text, detection, context)
        language = parse.language
        audit: list[dict[str, Any]] = []
        owner, handoff_reason = conv.owner, conv.handoff_reason
        state = conv.state
        replies: list[Reply] = []
        side: list[NewOutbound] = []

        if conv.owner == "agent":
            inbound_status = "processed"  # a human owns the conversation: the bot stores and says nothing
        elif conv.owner == "queued":
            inbound_status = "processed"
            replies = self._queued_ack(conv, language)
            if replies:
                state = {**state, "queued_ack_at": dt.datetime.now(dt.UTC).isoformat()}
        else:
            inbound_status = "processed"
            result = await self._decide(conv, language, text, parse)
            state, replies = result.state, result.replies
            # handoffs and language flags are audited here, once, whatever the engine also reports
            audit.extend(e for e in result.events if e.get("action") not in ("handoff", "flag_language"))
            side = [
                NewOutbound(channel=m.channel, recipient_id=m.recipient, payload={"text": m.text}, visible=False)
                for m in result.side_messages
            ]
            if result.handoff is not None:
                owner, handoff_reason = "queued", result.handoff.reason
                audit.append({"action": "handoff", "reason": result.handoff.reason,
                              "summary": result.handoff.summary, "priority": result.handoff.priority})

        if not detection.supported:
            # answered in English; flagged so that a colleague who speaks the language can pick it up
            detected = getattr(detection, "detected", None)
            audit.append({"action": "flag_language", "reason": "unsupported_language", "detected": detected})
            metrics.UNSUPPORTED_LANGUAGE.labels(detected or "unknown").inc()
        outbound = [
            NewOutbound(channel=conv.channel, recipient_id=conv.sender_id, payload=r.to_dict(), delivered=inline)
            for r in replies
        ]
        rows = await self.store.complete_turn(
            conversation_id=conv.id,
            expected_version=conv.version,
            lease_owner=self.worker_id,
            inbound_id=inbound_id,
            parse=parse.to_dict(),
            inbound_status=inbound_status,
            state=state,
            language=language if detection.supported else (conv.language or language),
            owner=owner,
            handoff_reason=handoff_reason,
            outbound=[*outbound, *side],
            audit=audit,
        )
        metrics.REPLIES.labels(conv.channel).inc(len(outbound))
        metrics.INTENTS.labels(parse.intent.name).inc()
        self._report(conv, language, parse, audit)
        out_rows = [r for r in rows if r.channel == conv.channel and r.recipient_id == conv.sender_id]
        return ReceiveResult(
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
            return self.detector.detect(text, conv.language)
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

    async def _decide(self, conv: ConversationState, language: str, text: str, parse: Parse) -> TurnResult:
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

    def _queued_ack(self, conv: ConversationState, language: str) -> list[Reply]:
        """While waiting for a human, acknowledge at most once every 15 minutes; never more."""
        from bot.texts import text_for

        last = conv.state.get("queued_ack_at")
        if last:
            try:
                if dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(last) < dt.timedelta(minutes=15):
                    return []
            except ValueError:
                pass
        return [Reply(text_for("queued_ack", language), kind="holding")]
