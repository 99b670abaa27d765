"""Small repository functions over the bot's tables: everything the pipeline, outbox and web app read or write.

Database errors are translated into bot.errors.StoreError here, at the edge.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.errors import ConcurrencyConflict, StoreDataError, StoreError
from bot.privacy import redact, scrub
from bot.store.db import table_of, utcnow
from bot.store.models import AuditLog, Contact, Conversation, Message, OutboxItem, new_id


@dataclass(frozen=True, slots=True)
class ConversationState:
    id: str
    channel: str
    sender_id: str
    language: str | None
    owner: str
    handoff_reason: str | None
    state: dict[str, Any]
    version: int


@dataclass(frozen=True, slots=True)
class StoredInbound:
    """An inbound message stored but not yet processed, with the conversation version it arrived at."""

    id: int
    text: str
    conv_version: int | None  # None: stored before versions were recorded (treated as an earlier question)


@dataclass(frozen=True, slots=True)
class InboundRecord:
    conversation_id: str
    message_id: int
    duplicate: bool  # the platform id was seen before (from this sender)
    processed: bool  # ... and that message was processed already
    conversation: ConversationState | None = None  # read under the lease, when the lease was taken with the insert
    # with the lease: the conversation's messages stored and not yet processed up to this one, oldest first
    waiting: list[StoredInbound] | None = None


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    reply_to_id: int | None
    conversation_id: str | None
    channel: str
    recipient_id: str
    payload: dict[str, Any]
    status: str
    attempts: int
    parts_sent: int = 0  # of a message sent in several parts: how many were delivered by earlier attempts
    platform_message_id: str | None = None  # the platform's id of the last part delivered


@dataclass(frozen=True, slots=True)
class NewOutbound:
    channel: str
    recipient_id: str
    payload: dict[str, Any]  # {"text": ..., "buttons": [...]?, "kind": ...}
    author: str = "bot"
    visible: bool = True  # False for side messages (e.g. a one-time code by e-mail): not in the transcript
    delivered: bool = False  # True when the reply travels inline (in the response to the passenger's request)


# More work for the turn's transaction (e.g. opening a handoff case): runs after the conversation's update succeeded
TxStep = Callable[[AsyncConnection, dt.datetime], Awaitable[None]]

# DML on tables, not mapped classes: Core statements skip the ORM's per-statement bookkeeping
CONV = table_of(Conversation)
MSG = table_of(Message)
OUTBOX = table_of(OutboxItem)
AUDIT = table_of(AuditLog)
CONTACT = table_of(Contact)

# The hot path's statements, built once with bound parameters: building a statement and its cache key on every
# call was the largest CPU cost per message.
_CONV_COLUMNS = (
    CONV.c.id, CONV.c.channel, CONV.c.sender_id, CONV.c.language, CONV.c.owner, CONV.c.handoff_reason,
    CONV.c.state, CONV.c.version,
)
_RECORD = (
    insert(MSG)
    .from_select(
        ["conversation_id", "direction", "channel", "platform_message_id", "text", "payload", "status", "author",
         "created_at", "conv_version"],
        select(
            CONV.c.id,
            bindparam("b_direction", type_=MSG.c.direction.type),
            bindparam("b_channel", type_=MSG.c.channel.type),
            bindparam("b_platform_message_id", type_=MSG.c.platform_message_id.type),
            bindparam("b_text", type_=MSG.c.text.type),
            bindparam("b_payload", type_=MSG.c.payload.type),
            bindparam("b_status", type_=MSG.c.status.type),
            bindparam("b_author", type_=MSG.c.author.type),
            bindparam("b_created_at", type_=MSG.c.created_at.type),
            CONV.c.version,  # the question this message answers: the conversation as it stood when it arrived
        ).where(CONV.c.channel == bindparam("b_channel"), CONV.c.sender_id == bindparam("b_sender_id")),
    )
    .returning(MSG.c.id, MSG.c.conversation_id)
)
_TAKE_LEASE = (
    update(CONV)
    .where(
        CONV.c.id == bindparam("b_cid"),
        or_(CONV.c.lease_owner.is_(None), CONV.c.lease_until < bindparam("b_now", type_=CONV.c.lease_until.type),
            CONV.c.lease_owner == bindparam("b_owner")),
    )
    .values(lease_owner=bindparam("b_owner"), lease_until=bindparam("b_until", type_=CONV.c.lease_until.type))
    .returning(*_CONV_COLUMNS)
)
_COMPLETE = (
    update(CONV)
    .where(CONV.c.id == bindparam("b_cid"), CONV.c.version == bindparam("b_expected"),
           CONV.c.lease_owner == bindparam("b_owner"))
    .values(state=bindparam("b_state", type_=CONV.c.state.type), language=bindparam("b_language"),
            owner=bindparam("b_new_owner"), handoff_reason=bindparam("b_reason"), version=CONV.c.version + 1,
            updated_at=bindparam("b_now", type_=CONV.c.updated_at.type))
)
_COMPLETE_AND_RELEASE = _COMPLETE.values(lease_owner=None, lease_until=None)
_PROCESSED = (
    update(MSG)
    .where(MSG.c.id == bindparam("b_mid"), MSG.c.status == "received")
    .values(parse=bindparam("b_parse", type_=MSG.c.parse.type), status=bindparam("b_status"),
            processed_at=bindparam("b_now", type_=MSG.c.processed_at.type))
)
_OUTBOX_INSERT = insert(OUTBOX).returning(OUTBOX.c.id, sort_by_parameter_order=True)
_TAKE_UNDELIVERED = (
    update(OUTBOX)
    .where(OUTBOX.c.channel == bindparam("b_channel"), OUTBOX.c.recipient_id == bindparam("b_recipient"),
           OUTBOX.c.id <= bindparam("b_up_to"), OUTBOX.c.status == "pending", OUTBOX.c.visible.is_(True))
    .values(status="sent", sent_at=bindparam("b_now", type_=OUTBOX.c.sent_at.type), attempts=OUTBOX.c.attempts + 1)
    .returning(*OUTBOX.c)
)
_AUDIT_INSERT = insert(AUDIT)


def _value_refused(error: BaseException | None) -> bool:
    """A value was refused: by the driver before sending it (a number out of range, text that cannot be encoded),
    or by PostgreSQL as a data exception (SQLSTATE class 22, e.g. a NUL character in text)."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, (ValueError, OverflowError, UnicodeError)):
            return True
        if str(getattr(error, "sqlstate", "") or "").startswith("22"):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _outbox_row(o: Any) -> OutboxRow:
    return OutboxRow(o.id, o.reply_to_id, o.conversation_id, o.channel, o.recipient_id, o.payload, o.status, o.attempts,
                     o.parts_sent or 0, o.platform_message_id)


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @asynccontextmanager
    async def transaction(self, *, single_statement: bool = False) -> AsyncIterator[AsyncConnection]:
        """One database transaction on a Core connection (the hot path needs no ORM unit of work).

        ``single_statement``: the block runs one statement, which is atomic by itself: on a server database it runs in
        autocommit, without the two round trips of BEGIN and COMMIT (SQLite has no round trips to save).
        """
        try:
            if single_statement and self.engine.dialect.name != "sqlite":
                async with self.engine.connect() as conn:
                    yield await conn.execution_options(isolation_level="AUTOCOMMIT")
                return
            async with self.engine.begin() as conn:
                yield conn
        except (OperationalError, DBAPIError) as exc:
            if isinstance(exc, IntegrityError):
                raise
            if isinstance(exc, DataError) or _value_refused(exc.orig):
                # the values themselves are refused (a NUL character, a number out of range): retrying cannot help
                raise StoreDataError(f"the database refused a value: {type(exc.orig).__name__}") from exc
            raise StoreError(f"database error: {exc.__class__.__name__}: {scrub(str(exc.orig))}"[:500]) from exc
        except StatementError as exc:
            # the driver could not even send a value (an integer too large, text that is not valid Unicode)
            if isinstance(exc.orig, (OverflowError, UnicodeError)):
                raise StoreDataError(f"the database cannot take a value: {type(exc.orig).__name__}") from exc
            raise
        except (OverflowError, UnicodeError) as exc:  # the same, raised by the driver unwrapped (aiosqlite)
            raise StoreDataError(f"the database cannot take a value: {type(exc).__name__}") from exc

    async def ping(self) -> None:
        async with self.transaction() as s:
            await s.execute(select(1))

    # ---- inbound -------------------------------------------------------------------------------------------------

    async def record_inbound(
        self,
        *,
        channel: str,
        sender_id: str,
        platform_message_id: str | None,
        text: str,
        payload: dict[str, Any] | None = None,
        sender_name: str | None = None,
        lease_owner: str | None = None,
        lease_seconds: float = 30.0,
    ) -> InboundRecord:
        """Store an inbound message durably (its own transaction), creating contact and conversation as needed.

        With ``lease_owner`` the conversation's lease is taken in the same transaction when it is free, and the
        conversation read under it is returned (``conversation``): one round of the database for the common case.
        A platform id seen before on this channel is not stored again: the first record is returned as a duplicate.
        """
        for _attempt in range(5):
            try:
                async with self.transaction() as s:
                    now = utcnow()
                    author = f"passenger:{channel}"
                    # one statement when the conversation exists (the common case): INSERT .. SELECT .. RETURNING
                    row = (
                        await s.execute(
                            _RECORD,
                            {"b_direction": "in", "b_channel": channel, "b_platform_message_id": platform_message_id,
                             "b_text": text, "b_payload": payload, "b_status": "received", "b_author": author,
                             "b_created_at": now, "b_sender_id": sender_id},
                        )
                    ).first()
                    if row is not None:
                        conv = await self._take_lease(s, row.conversation_id, lease_owner, lease_seconds, now)
                        waiting = None
                        if conv is not None:
                            waiting = await self._received(s, row.conversation_id, row.id)
                        return InboundRecord(row.conversation_id, row.id, False, False, conv, waiting)
                    conv_id = await self._new_conversation(s, channel, sender_id, sender_name, lease_owner,
                                                           lease_seconds)
                    msg_id = (
                        await s.execute(
                            insert(MSG)
                            .values(conversation_id=conv_id, direction="in", channel=channel,
                                    platform_message_id=platform_message_id, text=text, payload=payload,
                                    status="received", author=author, created_at=now, conv_version=1)
                            .returning(MSG.c.id)
                        )
                    ).scalar_one()
                    fresh, waiting = None, None
                    if lease_owner is not None:
                        fresh = ConversationState(conv_id, channel, sender_id, None, "bot", None, {}, 1)
                        waiting = [StoredInbound(msg_id, text, 1)]
                    return InboundRecord(conv_id, msg_id, False, False, fresh, waiting)
            except IntegrityError:
                # a repeat of a platform id by this sender, or a concurrent first message of the same sender.
                # Platform ids are unique per conversation (channel and sender): two web chat widgets that both
                # number their messages 1, 2, 3 never see each other's messages.
                if platform_message_id is not None:
                    async with self.transaction() as s:
                        existing = (
                            await s.execute(
                                select(MSG.c.id, MSG.c.conversation_id, MSG.c.status)
                                .join(CONV, CONV.c.id == MSG.c.conversation_id)
                                .where(
                                    CONV.c.channel == channel,
                                    CONV.c.sender_id == sender_id,
                                    MSG.c.direction == "in",
                                    MSG.c.platform_message_id == platform_message_id,
                                )
                            )
                        ).first()
                    if existing is not None:
                        done = existing.status != "received"
                        return InboundRecord(existing.conversation_id, existing.id, True, done)
        raise StoreError("could not record inbound message after concurrent retries")

    async def _take_lease(
        self, s: AsyncConnection, conversation_id: str, owner: str | None, seconds: float, now: dt.datetime
    ) -> ConversationState | None:
        if owner is None:
            return None
        row = (
            await s.execute(
                _TAKE_LEASE,
                {"b_cid": conversation_id, "b_now": now, "b_owner": owner,
                 "b_until": now + dt.timedelta(seconds=seconds)},
            )
        ).first()
        return None if row is None else self._conv_state(row)

    async def _new_conversation(
        self, s: AsyncConnection, channel: str, sender_id: str, sender_name: str | None,
        lease_owner: str | None = None, lease_seconds: float = 30.0,
    ) -> str:
        now = utcnow()
        contact_id, conv_id = new_id(), new_id()
        await s.execute(
            insert(CONTACT).values(id=contact_id, channel=channel, platform_user_id=sender_id,
                                   display_name=sender_name, created_at=now)
        )
        await s.execute(
            insert(CONV).values(id=conv_id, contact_id=contact_id, channel=channel, sender_id=sender_id,
                                state={}, owner="bot", version=1, created_at=now, updated_at=now,
                                lease_owner=lease_owner,
                                lease_until=now + dt.timedelta(seconds=lease_seconds) if lease_owner else None)
        )
        return conv_id

    async def stalled_conversations(self, older_than: dt.datetime, limit: int = 200) -> list[dict[str, Any]]:
        """Conversations with inbound messages stored before ``older_than`` and never processed, whose lease is free
        or expired (the process that stored them died, or gave up): the recovery sweeper's work, oldest first."""
        now = utcnow()
        async with self.transaction() as s:
            rows = (
                await s.execute(
                    select(MSG.c.conversation_id, CONV.c.channel, CONV.c.sender_id, func.min(MSG.c.id).label("first"))
                    .join(CONV, CONV.c.id == MSG.c.conversation_id)
                    .where(MSG.c.status == "received", MSG.c.direction == "in", MSG.c.created_at < older_than,
                           or_(CONV.c.lease_owner.is_(None), CONV.c.lease_until < now))
                    .group_by(MSG.c.conversation_id, CONV.c.channel, CONV.c.sender_id)
                    .order_by(func.min(MSG.c.id))
                    .limit(limit)
                )
            ).all()
        return [{"conversation_id": r.conversation_id, "channel": r.channel, "sender_id": r.sender_id} for r in rows]

    async def received_messages(self, conversation_id: str, up_to_id: int | None = None) -> list[StoredInbound]:
        """The conversation's messages stored but not processed, in arrival order (up to ``up_to_id``)."""
        async with self.transaction() as s:
            return await self._received(s, conversation_id, up_to_id)

    @staticmethod
    async def _received(s: AsyncConnection, conversation_id: str, up_to_id: int | None) -> list[StoredInbound]:
        q = select(MSG.c.id, MSG.c.text, MSG.c.conv_version).where(
            MSG.c.conversation_id == conversation_id, MSG.c.status == "received", MSG.c.direction == "in"
        )
        if up_to_id is not None:
            q = q.where(MSG.c.id <= up_to_id)
        rows = (await s.execute(q.order_by(MSG.c.id))).all()
        return [StoredInbound(r.id, r.text, r.conv_version) for r in rows]

    async def inbound_status(self, message_id: int) -> str:
        async with self.transaction() as s:
            return (await s.execute(select(Message.status).where(Message.id == message_id))).scalar_one()

    # ---- conversation lease (one turn at a time, across processes) ------------------------------------------------

    _CONV_COLUMNS = _CONV_COLUMNS

    @staticmethod
    def _conv_state(row: Any) -> ConversationState:
        return ConversationState(row.id, row.channel, row.sender_id, row.language, row.owner, row.handoff_reason,
                                 dict(row.state or {}), row.version)

    async def acquire_lease(self, conversation_id: str, owner: str, seconds: float) -> ConversationState | None:
        """Take the conversation's lease and read it in one statement; None while another worker holds it."""
        async with self.transaction() as s:
            return await self._take_lease(s, conversation_id, owner, seconds, utcnow())

    async def renew_leases(self, conversation_ids: Sequence[str], owner: str, seconds: float) -> int:
        """The heartbeat: extend the leases this worker holds; a dead worker's leases expire within ``seconds``."""
        if not conversation_ids:
            return 0
        now = utcnow()
        async with self.transaction() as s:
            result = await s.execute(
                update(CONV)
                .where(CONV.c.id.in_(list(conversation_ids)), CONV.c.lease_owner == owner)
                .values(lease_until=now + dt.timedelta(seconds=seconds))
            )
            return int(result.rowcount or 0)

    async def release_lease(self, conversation_id: str, owner: str) -> None:
        async with self.transaction() as s:
            await s.execute(
                update(CONV)
                .where(Conversation.id == conversation_id, Conversation.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    async def load_conversation(self, conversation_id: str) -> ConversationState:
        async with self.transaction() as s:
            row = (
                await s.execute(select(*self._CONV_COLUMNS).where(Conversation.id == conversation_id))
            ).first()
            if row is None:
                raise StoreError(f"no conversation {conversation_id}")
            return self._conv_state(row)

    async def find_conversation(self, channel: str, sender_id: str) -> ConversationState | None:
        async with self.transaction() as s:
            row = (
                await s.execute(
                    select(*self._CONV_COLUMNS).where(Conversation.channel == channel,
                                                      Conversation.sender_id == sender_id)
                )
            ).first()
            return None if row is None else self._conv_state(row)

    # ---- the end of a turn: state, replies, outbox and audit in ONE transaction -----------------------------------

    async def complete_turn(
        self,
        *,
        conversation_id: str,
        expected_version: int,
        lease_owner: str,
        inbound_id: int,
        parse: dict[str, Any] | None,
        inbound_status: str,
        state: dict[str, Any],
        language: str | None,
        owner: str,
        handoff_reason: str | None,
        outbound: Sequence[NewOutbound],
        audit: Sequence[dict[str, Any]],
        actor: str = "bot",
        release: bool = True,
        extra: Sequence[TxStep] = (),
    ) -> list[OutboxRow]:
        """Store the turn's outcome and (by default) release the lease, all in one transaction.

        ``extra`` steps run in the same transaction after the outbound rows (e.g. the handoff case of this turn).
        """
        now = utcnow()
        async with self.transaction() as s:
            result = await s.execute(
                _COMPLETE_AND_RELEASE if release else _COMPLETE,
                {"b_cid": conversation_id, "b_expected": expected_version, "b_owner": lease_owner, "b_state": state,
                 "b_language": language, "b_new_owner": owner, "b_reason": handoff_reason, "b_now": now},
            )
            if result.rowcount != 1:
                raise ConcurrencyConflict(f"conversation {conversation_id} changed or lease lost")
            done = await s.execute(
                _PROCESSED, {"b_mid": inbound_id, "b_parse": parse, "b_status": inbound_status, "b_now": now}
            )
            if done.rowcount != 1:  # processed by another worker meanwhile: this turn's outcome is not stored
                raise ConcurrencyConflict(f"message {inbound_id} was processed already")
            rows = await self._add_outbound(s, conversation_id, inbound_id, outbound, now)
            await self._add_audit(s, conversation_id, audit, actor, now)
            for step in extra:
                await step(s, now)
            return rows

    async def add_audit_in(
        self, s: AsyncConnection, conversation_id: str | None, audit: Sequence[dict[str, Any]], actor: str,
        now: dt.datetime,
    ) -> None:
        """Audit rows within a caller's transaction (details without personal data in clear)."""
        await self._add_audit(s, conversation_id, audit, actor, now)

    async def add_outbound_in(
        self, s: AsyncConnection, conversation_id: str | None, outbound: Sequence[NewOutbound], now: dt.datetime,
        reply_to: int | None = None,
    ) -> list[OutboxRow]:
        """Outbox rows within a caller's transaction."""
        return await self._add_outbound(s, conversation_id, reply_to, outbound, now)

    async def _add_audit(
        self, s: AsyncConnection, conversation_id: str | None, audit: Sequence[dict[str, Any]], actor: str,
        now: dt.datetime,
    ) -> None:
        if audit:
            await s.execute(
                _AUDIT_INSERT,
                [
                    {"actor": actor, "action": str(e.get("action", "event")), "conversation_id": conversation_id,
                     # every audit row passes the same redaction as the logs: no personal data in clear
                     "details": redact({k: v for k, v in e.items() if k != "action"}), "at": now}
                    for e in audit
                ],
            )

    async def _add_outbound(
        self,
        s: AsyncConnection,
        conversation_id: str | None,
        reply_to: int | None,
        outbound: Sequence[NewOutbound],
        now: dt.datetime,
    ) -> list[OutboxRow]:
        if not outbound:
            return []
        params: list[dict[str, Any]] = [
            {"reply_to_id": reply_to, "conversation_id": conversation_id, "visible": o.visible,
             "author": o.author, "channel": o.channel, "recipient_id": o.recipient_id, "payload": o.payload,
             "status": "sent" if o.delivered else "pending", "attempts": 1 if o.delivered else 0,
             "next_attempt_at": now, "created_at": now, "sent_at": now if o.delivered else None, "claimed_by": None,
             "claimed_until": None, "last_error": None, "platform_message_id": None, "parts_sent": 0}
            for o in outbound
        ]
        # all the turn's replies in one statement (one round trip), their ids in the order given
        ids = (await s.execute(_OUTBOX_INSERT, params if len(params) > 1 else params[0])).scalars().all()
        return [OutboxRow(oid, reply_to, conversation_id, o.channel, o.recipient_id, o.payload,
                          "sent" if o.delivered else "pending", 0)
                for oid, o in zip(ids, outbound, strict=True)]

    async def add_outbound(
        self, conversation_id: str | None, outbound: Sequence[NewOutbound], audit: Sequence[dict[str, Any]] = (),
        actor: str = "system",
    ) -> list[OutboxRow]:
        """Outbound messages not caused by an inbound one (agent replies, broadcasts)."""
        now = utcnow()
        async with self.transaction() as s:
            rows = await self._add_outbound(s, conversation_id, None, outbound, now)
            await self._add_audit(s, conversation_id, audit, actor, now)
            return rows

    async def add_replies(
        self, inbound_id: int, conversation_id: str | None, outbound: Sequence[NewOutbound]
    ) -> list[OutboxRow]:
        """More replies to an inbound message after its turn (a channel's own answer, e.g. X's public reply)."""
        async with self.transaction() as s:
            return await self._add_outbound(s, conversation_id, inbound_id, outbound, utcnow())

    async def add_reply_once(
        self, inbound_id: int, conversation_id: str | None, kind: str, outbound: NewOutbound
    ) -> OutboxRow | None:
        """A channel's own extra reply of one ``kind`` to an inbound message (X's public answer to a mention), at most
        once whoever asks and however often: the check and the insert run in one transaction that locks the inbound
        message's row (SQLite's write transactions are serial already). Only after the turn said something (the bot
        stays quiet while a colleague owns the conversation). Returns the new row, or None when nothing was added."""
        async with self.transaction() as s:
            await s.execute(select(MSG.c.id).where(MSG.c.id == inbound_id).with_for_update())
            q = select(OUTBOX).where(OUTBOX.c.reply_to_id == inbound_id, OUTBOX.c.visible.is_(True))
            if conversation_id is not None:
                q = q.where(OUTBOX.c.conversation_id == conversation_id)
            existing = [_outbox_row(r) for r in (await s.execute(q)).all()]
            if not existing or any(r.payload.get("kind") == kind for r in existing):
                return None
            payload = {**outbound.payload, "kind": kind}
            rows = await self._add_outbound(s, conversation_id, inbound_id,
                                            [replace(outbound, payload=payload)], utcnow())
            return rows[0]

    async def replies_to(self, inbound_id: int, conversation_id: str | None = None) -> list[OutboxRow]:
        """The replies to one inbound message (a retried request gets the same answer).

        With ``conversation_id``, only replies within that conversation: never another conversation's replies.
        """
        q = select(OUTBOX).where(OUTBOX.c.reply_to_id == inbound_id, OUTBOX.c.visible.is_(True))
        if conversation_id is not None:
            q = q.where(OUTBOX.c.conversation_id == conversation_id)
        async with self.transaction() as s:
            rows = (await s.execute(q.order_by(OUTBOX.c.id))).all()
            return [_outbox_row(r) for r in rows]

    async def take_undelivered(self, channel: str, recipient_id: str, *, up_to_id: int) -> list[OutboxRow]:
        """For channels whose replies travel in a response: mark delivered the visible replies to this recipient up
        to ``up_to_id`` still waiting (this request's, and earlier ones no response carried, e.g. answered by
        recovery while the passenger's request had gone) and return them, oldest first. One statement."""
        async with self.transaction(single_statement=True) as s:
            taken = (
                await s.execute(
                    _TAKE_UNDELIVERED,
                    {"b_channel": channel, "b_recipient": recipient_id, "b_up_to": up_to_id, "b_now": utcnow()},
                )
            ).all()
        return sorted((_outbox_row(r) for r in taken), key=lambda r: r.id)

    # ---- outbox ---------------------------------------------------------------------------------------------------

    async def mark_delivered(self, outbox_ids: Sequence[int], platform_ids: Sequence[str | None] | None = None) -> None:
        """Mark outbox rows sent; rows already sent stay as they were."""
        if not outbox_ids:
            return
        now = utcnow()
        async with self.transaction() as s:
            if platform_ids is None or not any(platform_ids):
                await s.execute(
                    update(OUTBOX)
                    .where(OUTBOX.c.id.in_(outbox_ids), OUTBOX.c.status != "sent")
                    .values(status="sent", sent_at=now, claimed_by=None, attempts=OUTBOX.c.attempts + 1)
                )
                return
            for oid, pid in zip(outbox_ids, platform_ids, strict=True):
                await s.execute(
                    update(OUTBOX)
                    .where(OUTBOX.c.id == oid, OUTBOX.c.status != "sent")
                    .values(status="sent", sent_at=now, claimed_by=None, platform_message_id=pid,
                            attempts=OUTBOX.c.attempts + 1)
                )

    async def claim_outbox(
        self, channels: Sequence[str], worker: str, limit: int, lease_seconds: float
    ) -> list[OutboxRow]:
        """Claim due pending items for these channels (expired claims of a dead worker are taken over).

        A row waits while an earlier row to the same recipient waits for its retry or is being sent: messages to
        one recipient go out in order.
        """
        now = utcnow()
        earlier = OUTBOX.alias("earlier")
        blocked = (
            select(earlier.c.id)
            .where(
                earlier.c.channel == OUTBOX.c.channel,
                earlier.c.recipient_id == OUTBOX.c.recipient_id,
                earlier.c.id < OUTBOX.c.id,
                or_(
                    and_(earlier.c.status == "pending", earlier.c.next_attempt_at > now),
                    and_(earlier.c.status == "sending", earlier.c.claimed_until >= now),
                ),
            )
            .exists()
        )
        async with self.transaction() as s:
            q = (
                select(OUTBOX)
                .where(
                    OutboxItem.channel.in_(channels),
                    or_(
                        and_(OutboxItem.status == "pending", OutboxItem.next_attempt_at <= now),
                        and_(OutboxItem.status == "sending", OutboxItem.claimed_until < now),
                    ),
                    ~blocked,
                )
                .order_by(OutboxItem.id)
                .limit(limit)
            )
            if s.dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True)
            items = (await s.execute(q)).all()
            if items:
                await s.execute(
                    update(OUTBOX)
                    .where(OutboxItem.id.in_([i.id for i in items]))
                    .values(status="sending", claimed_by=worker,
                            claimed_until=now + dt.timedelta(seconds=lease_seconds))
                )
            return [_outbox_row(i) for i in items]

    async def release_outbox(self, outbox_ids: Sequence[int]) -> None:
        """Put claimed rows back untouched (not attempted: no attempt counted), due at once."""
        if not outbox_ids:
            return
        async with self.transaction() as s:
            await s.execute(
                update(OUTBOX)
                .where(OutboxItem.id.in_(list(outbox_ids)), OutboxItem.status == "sending")
                .values(status="pending", claimed_by=None, claimed_until=None)
            )

    async def release_claims(self, worker: str) -> None:
        """Put back every row this worker claimed and did not finish (a clean stop), due at once."""
        async with self.transaction() as s:
            await s.execute(
                update(OUTBOX)
                .where(OutboxItem.status == "sending", OutboxItem.claimed_by == worker)
                .values(status="pending", claimed_by=None, claimed_until=None)
            )

    async def retry_outbox(
        self, outbox_id: int, error: str, delay: float, max_attempts: int, *,
        parts_sent: int | None = None, platform_id: str | None = None,
    ) -> None:
        """Put a row back for another attempt after ``delay`` seconds (failed once ``max_attempts`` are used up).

        ``parts_sent`` / ``platform_id``: how far a message sent in several parts got, so the retry goes on there.
        """
        async with self.transaction() as s:
            attempts = (
                await s.execute(select(OutboxItem.attempts).where(OutboxItem.id == outbox_id))
            ).scalar_one_or_none()
            if attempts is None:
                return
            attempts += 1
            status = "failed" if attempts >= max_attempts else "pending"
            values: dict[str, Any] = {
                "attempts": attempts, "last_error": error[:1000], "claimed_by": None, "status": status,
                "next_attempt_at": utcnow() + dt.timedelta(seconds=delay),
            }
            if parts_sent is not None:
                values.update(parts_sent=parts_sent, platform_message_id=platform_id)
            await s.execute(update(OUTBOX).where(OutboxItem.id == outbox_id).values(**values))

    async def fail_outbox(
        self, outbox_id: int, error: str, *, parts_sent: int | None = None, platform_id: str | None = None
    ) -> None:
        """The platform refused the message for good (e.g. the passenger blocked the bot): failed, not retried."""
        values: dict[str, Any] = {"attempts": OUTBOX.c.attempts + 1, "last_error": error[:1000], "claimed_by": None,
                                  "status": "failed"}
        if parts_sent is not None:
            values.update(parts_sent=parts_sent, platform_message_id=platform_id)
        async with self.transaction() as s:
            await s.execute(update(OUTBOX).where(OutboxItem.id == outbox_id).values(**values))

    async def outbox_counts(self) -> dict[str, int]:
        async with self.transaction() as s:
            rows = (await s.execute(select(OutboxItem.status, func.count()).group_by(OutboxItem.status))).all()
            return {r[0]: int(r[1]) for r in rows}

    async def pending_for_recipient(self, channel: str, recipient_id: str, after_id: int = 0) -> list[OutboxRow]:
        async with self.transaction() as s:
            rows = (
                await s.execute(
                    select(OUTBOX)
                    .where(
                        OutboxItem.channel == channel,
                        OutboxItem.recipient_id == recipient_id,
                        OutboxItem.id > after_id,
                        OutboxItem.status.in_(("pending", "sending")),
                    )
                    .order_by(OutboxItem.id)
                )
            ).all()
            return [_outbox_row(r) for r in rows]

    # ---- reading ---------------------------------------------------------------------------------------------------

    async def transcript(self, conversation_id: str, limit: int = 200) -> list[dict[str, Any]]:
        """The conversation as people saw it: inbound messages and visible outbound ones, oldest first."""
        async with self.transaction() as s:
            inbound = (
                await s.execute(
                    select(MSG).where(MSG.c.conversation_id == conversation_id).order_by(MSG.c.id.desc()).limit(limit)
                )
            ).all()
            outbound = (
                await s.execute(
                    select(OUTBOX)
                    .where(OUTBOX.c.conversation_id == conversation_id, OUTBOX.c.visible.is_(True))
                    .order_by(OUTBOX.c.id.desc())
                    .limit(limit)
                )
            ).all()
        items = [
            {"id": m.id, "direction": "in", "text": m.text, "author": m.author, "status": m.status,
             "parse": m.parse, "at": m.created_at}
            for m in inbound
        ] + [
            {"id": o.id, "direction": "out", "text": o.payload.get("text", ""), "author": o.author,
             "status": o.status, "parse": None, "at": o.created_at, "reply_to": o.reply_to_id,
             "buttons": list(o.payload.get("buttons") or ()), "kind": o.payload.get("kind", "text")}
            for o in outbound
        ]
        items.sort(key=lambda i: (i["at"], i["direction"] == "out", i["id"]))
        for i in items:
            i["at"] = i["at"].isoformat()
        return items[-limit:]

    async def audit(self, conversation_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        async with self.transaction() as s:
            q = select(AuditLog.__table__).order_by(AuditLog.id).limit(limit)
            if conversation_id:
                q = q.where(AuditLog.conversation_id == conversation_id)
            rows = (await s.execute(q)).all()
            return [{"action": a.action, "actor": a.actor, "details": a.details, "at": a.at.isoformat()} for a in rows]
