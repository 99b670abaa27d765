"""The bot's own tables. The demo airline's tables live in bot.reservations.sql.models (same metadata)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import Base, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER PRIMARY KEY only


def new_id() -> str:
    return uuid.uuid4().hex


class Contact(Base):
    """A person as seen on one channel (a Telegram user, an X account, a web chat session)."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel", "platform_user_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(32))
    platform_user_id: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Conversation(Base):
    """One conversation per contact; holds the language, the dialogue state and who owns it."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "sender_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    sender_id: Mapped[str] = mapped_column(String(255))  # the contact's platform id: where replies go
    language: Mapped[str | None] = mapped_column(String(8))
    owner: Mapped[str] = mapped_column(String(16), default="bot")  # bot | queued | agent
    handoff_reason: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Message(Base):
    """Every inbound message. Its platform id is unique per conversation (one channel and sender): the dedupe key.

    ``conv_version`` is the conversation's version when the message arrived: the question it answers. A message
    processed after the conversation has moved past that version must not execute a booking change.

    Outbound messages live in the outbox (one row each, with their delivery state); the transcript is both.
    """

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "direction", "platform_message_id"),
        Index("ix_messages_conversation_created", "conversation_id", "id"),
        # what the recovery sweeper scans: the few messages stored but not processed
        Index("ix_messages_received", "id", postgresql_where=text("status = 'received'"),
              sqlite_where=text("status = 'received'")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    direction: Mapped[str] = mapped_column(String(3), default="in")  # "in" (kept for a future inbound/outbound log)
    channel: Mapped[str] = mapped_column(String(32))
    platform_message_id: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # inbound: metadata; outbound: buttons etc.
    parse: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # inbound: the NLU parse
    status: Mapped[str] = mapped_column(String(16))  # in: received|processed|ignored; out: queued|sent
    conv_version: Mapped[int | None] = mapped_column(Integer)  # the conversation's version when it arrived
    author: Mapped[str] = mapped_column(String(64), default="bot")  # out: bot | agent:<id> | broadcast
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class OutboxItem(Base):
    """Every outbound message and its delivery; written in the same transaction as the conversation's new state.

    ``visible`` rows are part of the conversation's transcript; others (a one-time code by e-mail) are not.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "status", "channel", "next_attempt_at"),
        Index("ix_outbox_reply_to", "reply_to_id"),
        Index("ix_outbox_recipient", "channel", "recipient_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))  # the inbound message it answers
    conversation_id: Mapped[str | None] = mapped_column(String(32))
    visible: Mapped[bool] = mapped_column(default=True)
    author: Mapped[str] = mapped_column(String(64), default="bot")  # bot | agent:<id> | broadcast
    channel: Mapped[str] = mapped_column(String(32))
    recipient_id: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"text", "buttons"?, ...}
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    platform_message_id: Mapped[str | None] = mapped_column(String(255))  # of the last part sent
    # a message sent in several parts (split at the length limit): how many were delivered, so a retry goes on there
    parts_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # what caused the row, for fan-outs written in several transactions (a broadcast, personal notices): a
    # restart re-runs the fan-out and the key keeps every row single
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)


class AuditLog(Base):
    """Who did what, when. Details never hold personal data in clear text."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_conversation", "conversation_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))  # bot | agent:<id> | system | cli
    action: Mapped[str] = mapped_column(String(64))
    conversation_id: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Crisis(Base):
    """One run of a crisis playbook: pending (awaiting a second person's approval), active, ended or rejected."""

    __tablename__ = "crises"
    __table_args__ = (Index("ix_crises_status_next", "status", "next_update_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    playbook_id: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16))  # pending | active | ended | rejected
    stage: Mapped[str] = mapped_column(String(16))  # investigating | identified | monitoring | resolved
    cadence_minutes: Mapped[int] = mapped_column(Integer)
    next_update_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    started_by: Mapped[str] = mapped_column(String(64))
    approved_by: Mapped[str | None] = mapped_column(String(64))
    ended_by: Mapped[str | None] = mapped_column(String(64))
    affected: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # counts and flights at start
    notice_cursor: Mapped[str | None] = mapped_column(String(64))  # personal notices: last booking done
    notices_done: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class CrisisUpdate(Base):
    """One message of a crisis to everyone: the start, a staff update, an automatic "no news", the end.

    ``slot`` is set for automatic updates (one per crisis and slot, whatever the number of processes).
    """

    __tablename__ = "crisis_updates"
    __table_args__ = (
        UniqueConstraint("crisis_id", "seq"),
        UniqueConstraint("crisis_id", "slot"),
        Index("ix_crisis_updates_published", "status", "published_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    crisis_id: Mapped[str] = mapped_column(ForeignKey("crises.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # start | update | no_news | end
    stage: Mapped[str] = mapped_column(String(16))
    texts: Mapped[dict[str, Any]] = mapped_column(JSON)  # language -> text
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # parameter changes this update makes
    author: Mapped[str] = mapped_column(String(64))
    approved_by: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # pending | published | rejected
    slot: Mapped[str | None] = mapped_column(String(40))
    next_update_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ServiceLease(Base):
    """Who runs a once-per-deployment service (the outbox dispatcher, schedulers): one row per service group.

    The holder renews ``expires_at`` every few seconds; when its process dies, another takes over once it expires.
    """

    __tablename__ = "service_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    acquired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuthThrottle(Base):
    """Failed booking verifications per booking reference and per client address, across senders and processes.

    ``key`` is ``ref:`` or ``addr:`` and a hash, never the reference or address itself. A key with too many failures
    in its window is locked until ``locked_until`` (see bot.store.throttle).
    """

    __tablename__ = "auth_throttle"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ChannelCursor(Base):
    """How far a polling channel has read its platform (Telegram's getUpdates offset, X's last seen ids).

    Only ever moves forward; a restart or another process continues from it, so nothing is read twice or skipped
    (and what is read twice after a crash is deduplicated by its platform id).
    """

    __tablename__ = "channel_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # e.g. "telegram:updates", "x:mentions"
    position: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Case(Base):
    """A conversation handed to a person: what the agent needs, where it stands, who has it (bot/cases/).

    States: ``queued`` -> ``claimed`` -> ``resolved``, or ``returned`` (to the bot: by the agent, or the passenger
    withdrew). At most one open (queued or claimed) case per conversation. ``booking`` is the verified booking as the
    dialogue state keeps it (for the agent; never logged or audited in clear).
    """

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_queue", "state", "language", "priority"),
        Index("ix_cases_conversation", "conversation_id", "id"),
        Index("ix_cases_first_response", "first_response_at"),  # the expected wait: cases answered recently
        Index("uq_cases_open_per_conversation", "conversation_id", unique=True,
              postgresql_where=text("state IN ('queued', 'claimed')"),
              sqlite_where=text("state IN ('queued', 'claimed')")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    channel: Mapped[str] = mapped_column(String(32))
    recipient_id: Mapped[str] = mapped_column(String(255))  # the passenger on their channel: where replies go
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued | claimed | resolved | returned
    reason: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8))
    skills: Mapped[list[Any]] = mapped_column(JSON, default=list)
    base_priority: Mapped[int] = mapped_column(Integer, default=0)  # from the handoff (e.g. an angry passenger)
    priority: Mapped[int] = mapped_column(Integer, default=0)  # effective: departure, crisis, waiting, escalation
    crisis_affected: Mapped[bool] = mapped_column(Boolean, default=False)  # set from crisis playbooks
    crisis_id: Mapped[str | None] = mapped_column(String(64))
    departure_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    booking: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    intent: Mapped[str | None] = mapped_column(String(64))
    entities: Mapped[list[Any]] = mapped_column(JSON, default=list)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # flow, offered options, why it stopped
    first_message_id: Mapped[int | None] = mapped_column(BigInteger)  # where the case starts in the transcript
    passenger_messages: Mapped[int] = mapped_column(Integer, default=0)  # added while the case was open
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sla_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_agent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_passenger_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)  # 1 near the SLA, 2 past it
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    close_reason: Mapped[str | None] = mapped_column(String(32))  # resolved | returned | withdrawn
    version: Mapped[int] = mapped_column(Integer, default=1)
