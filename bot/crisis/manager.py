"""The crisis runner: start, approve, update, end; broadcasts through the outbox; the cadence; personal notices.

Every state change and the outbound messages it causes are written in ONE transaction:

    crisis_updates row pending -> published (compare-and-set)  +  crises row  +  outbox rows  +  audit row

so a crash leaves either nothing or everything, and each outbox row carries a ``dedupe_key``
(``crisis:<id>:u<seq>:<channel>:<language>:<target>``): written once, sent once by the outbox dispatcher. Scheduled
"no news yet" updates move ``next_update_at`` with a compare-and-set and have a unique ``slot``: one per slot, across
processes and restarts. Personal notices are written in pages, each page with the cursor that says where the next
one starts, so a restart resumes without doubling or losing a notice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.crisis.params import ParameterError, resolve
from bot.crisis.playbook import PLAYBOOK_LANGUAGES, STAGES, Playbook, PlaybookSet
from bot.crisis.render import DEFAULT_LIMITS, ChannelLimit, render_texts, variables
from bot.crisis.templates import render
from bot.errors import BadRequest
from bot.reservations.base import AffectedBooking, FlightScope, ReservationAdapter, ReservationError, Waiver
from bot.settings import Settings
from bot.store.db import utcnow
from bot.store.models import AuditLog, Conversation, Crisis, CrisisUpdate, OutboxItem

log = structlog.get_logger("crisisbot.crisis")

CRISES = Crisis.__table__
UPDATES = CrisisUpdate.__table__
OUTBOX = OutboxItem.__table__
AUDIT = AuditLog.__table__
CONV = Conversation.__table__

# channels whose passengers read crisis updates from the database itself (the status page, the web chat banner)
PULL_CHANNELS = ("status", "webchat")


class CrisisError(BadRequest):
    """A crisis command that cannot be done (unknown id, wrong state, bad parameters)."""


class NotAuthorised(CrisisError):
    """The person is not allowed to do this (not crisis staff, or approving their own message)."""


@dataclass(frozen=True)
class BroadcastTarget:
    channel: str
    language: str
    recipient: str


def ref_key(reference: str) -> str:
    """A booking reference in a key or audit row: hashed, never in clear text."""
    return hashlib.sha256(reference.encode()).hexdigest()[:16]


def _iso(v: dt.datetime | None) -> str | None:
    return v.isoformat() if v else None


async def insert_outbox(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert outbox rows, skipping any whose dedupe_key exists already. Returns how many were new."""
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    stmt = dialect_insert(OUTBOX).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(OUTBOX.c.id)
    result = await conn.execute(stmt, list(rows))
    return len(result.all())


def _outbox_row(channel: str, recipient: str, payload: dict[str, Any], key: str, now: dt.datetime,
                conversation_id: str | None = None) -> dict[str, Any]:
    return {"reply_to_id": None, "conversation_id": conversation_id, "visible": True, "author": "broadcast",
            "channel": channel, "recipient_id": recipient, "payload": payload, "status": "pending", "attempts": 0,
            "next_attempt_at": now, "created_at": now, "sent_at": None, "claimed_by": None, "claimed_until": None,
            "last_error": None, "platform_message_id": None, "dedupe_key": key}


class CrisisManager:
    def __init__(self, engine: AsyncEngine, settings: Settings, playbooks: PlaybookSet,
                 adapter: ReservationAdapter | None = None, channels: Sequence[ChannelLimit] | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.playbooks = playbooks
        self.adapter = adapter
        self.channels = list(channels if channels is not None else [DEFAULT_LIMITS["status"],
                                                                      DEFAULT_LIMITS["webchat"]])

    # ---------------------------------------------------------------- who may act
    def authorise(self, actor: str) -> str:
        actor = " ".join((actor or "").split())[:64]
        if not actor:
            raise NotAuthorised("say who you are (--by NAME)")
        staff = {s.casefold() for s in self.settings.crisis_staff}
        if staff and actor.casefold() not in staff:
            raise NotAuthorised(f"{actor!r} is not crisis staff (CRISISBOT_CRISIS_STAFF)")
        return actor

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages updates go out in: every language the bot speaks that the playbooks have."""
        return tuple(lang for lang in self.settings.languages if lang in PLAYBOOK_LANGUAGES) or ("en",)

    def broadcast_targets(self) -> list[BroadcastTarget]:
        """One target per pushing broadcast channel and language (the status page and web chat read the database)."""
        out = []
        for ch in self.channels:
            if not ch.broadcast or ch.name in PULL_CHANNELS:
                continue
            configured = self.settings.crisis_broadcast_targets.get(ch.name) or {}
            for lang in self.languages:
                recipient = configured.get(lang) or configured.get("*") or ch.recipient
                if recipient:
                    out.append(BroadcastTarget(ch.name, lang, recipient))
        return out

    def scope(self, playbook: Playbook, params: Mapping[str, Any], now: dt.datetime) -> FlightScope:
        s = playbook.scope

        def value(v: Any) -> Any:
            return params.get(v[1:]) if isinstance(v, str) and v.startswith("$") else v

        start = value(s.start)
        end = value(s.end)
        start_at = dt.datetime.fromisoformat(start) if isinstance(start, str) else now
        end_at = dt.datetime.fromisoformat(end) if isinstance(end, str) else start_at + dt.timedelta(
            hours=s.horizon_hours)
        return FlightScope(airports=tuple(value(s.airports) or ()), direction=s.direction, start=start_at,
                           end=end_at, flight_numbers=tuple(value(s.flights) or ()))

    def waiver(self, crisis_id: str, playbook: Playbook, params: Mapping[str, Any],
               started_at: dt.datetime) -> Waiver:
        from bot.crisis.render import rebook_until

        p = playbook.policy
        return Waiver(code=f"CRISIS-{playbook.id}-{crisis_id[:8]}", change_fee=p.change_fee_waived,
                      refund=p.refund_allowed,
                      rebook_until=rebook_until(playbook, params, started_at) if p.change_fee_waived else None)

    async def resolve_id(self, ref: str) -> str:
        """A crisis id, or the playbook id of a running crisis."""
        ref = (ref or "").strip()
        async with self._tx() as conn:
            row = (await conn.execute(select(CRISES.c.id).where(CRISES.c.id == ref))).first()
            if row is None:
                row = (await conn.execute(select(CRISES.c.id).where(
                    CRISES.c.playbook_id == ref, CRISES.c.status.in_(("pending", "active")))
                    .order_by(CRISES.c.created_at.desc()))).first()
        if row is None:
            raise CrisisError(f"no crisis {ref!r} (see `crisisbot crisis status`)")
        return str(row.id)

    # ---------------------------------------------------------------- commands
    async def start(self, playbook_id: str, given: Mapping[str, str], actor: str, *, stage: str = "investigating",
                    notes: Mapping[str, str] | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
        actor = self.authorise(actor)
        now = now or utcnow()
        pb = self._playbook(playbook_id)
        self._stage(stage, allow_resolved=False)
        params = self._resolve(pb, given, now)
        async with self._tx() as conn:
            busy = (await conn.execute(select(CRISES.c.id).where(
                CRISES.c.playbook_id == pb.id, CRISES.c.status.in_(("pending", "active"))))).first()
            if busy is not None:
                raise CrisisError(f"{pb.id} is already running as {busy.id}: use `crisis update {busy.id}`")
            cid = hashlib.sha256(f"{pb.id}{now.isoformat()}{actor}".encode()).hexdigest()[:12]
            await conn.execute(insert(CRISES).values(
                id=cid, playbook_id=pb.id, params=params, status="pending", stage=stage,
                cadence_minutes=pb.cadence.every_minutes, next_update_at=None, started_by=actor, approved_by=None,
                ended_by=None, affected={}, notice_cursor=None, notices_done=False, created_at=now,
                started_at=None, ended_at=None))
            await self._new_update(conn, cid, 1, "start", stage, actor, {"notes": dict(notes or {})}, now)
            await self._audit(conn, actor, "crisis_started", {"crisis": cid, "playbook": pb.id, "params": params,
                                                              "stage": stage}, now)
            if not self.settings.crisis_approval:
                await self._publish_pending(conn, cid, approver=None, now=now)
        # the first update is out (committed with its outbox rows); now the scope, for staff and the status
        await self.refresh_affected(cid, now=now)
        return await self.status(cid, now=now)

    async def refresh_affected(self, crisis_id: str, *, now: dt.datetime | None = None) -> dict[str, Any]:
        """Evaluate the crisis's scope through the reservation adapter: its affected flights and bookings."""
        now = now or utcnow()
        async with self._tx() as conn:
            crisis = await self._crisis(conn, crisis_id)
        pb = self._playbook(crisis.playbook_id)
        affected = await self._affected_summary(pb, crisis.params, crisis.started_at or crisis.created_at or now)
        async with self._tx() as conn:
            await conn.execute(update(CRISES).where(CRISES.c.id == crisis_id).values(affected=affected))
            await self._audit(conn, "system", "crisis_scope", {"crisis": crisis_id, **_counts(affected)}, now)
        return affected

    async def update(self, crisis_id: str, actor: str, *, stage: str | None = None,
                     given: Mapping[str, str] | None = None, notes: Mapping[str, str] | None = None,
                     now: dt.datetime | None = None) -> dict[str, Any]:
        actor = self.authorise(actor)
        now = now or utcnow()
        async with self._tx() as conn:
            crisis = await self._crisis(conn, crisis_id, lock=True)
            if crisis.status != "active":
                raise CrisisError(f"crisis {crisis.id} is {crisis.status}: only an active crisis takes updates")
            pb = self._playbook(crisis.playbook_id)
            new_stage = stage or crisis.stage
            self._stage(new_stage, allow_resolved=False)
            changed = {}
            if given:
                values = self._resolve(pb, given, now, previous=crisis.params)
                changed = {k: values[k] for k in given}
            seq = await self._next_seq(conn, crisis.id)
            await self._new_update(conn, crisis.id, seq, "update", new_stage, actor,
                                   {"set": changed, "notes": dict(notes or {})}, now)
            await self._audit(conn, actor, "crisis_update_written", {"crisis": crisis.id, "seq": seq,
                                                                     "stage": new_stage, "set": changed}, now)
            if not self.settings.crisis_approval:
                await self._publish_pending(conn, crisis.id, approver=None, now=now)
        if changed:
            await self.refresh_affected(crisis_id, now=now)
        return await self.status(crisis_id, now=now)

    async def end(self, crisis_id: str, actor: str, *, notes: Mapping[str, str] | None = None,
                  now: dt.datetime | None = None) -> dict[str, Any]:
        actor = self.authorise(actor)
        now = now or utcnow()
        async with self._tx() as conn:
            crisis = await self._crisis(conn, crisis_id, lock=True)
            if crisis.status == "pending":  # never approved: withdrawn, nothing was sent
                await self._reject(conn, crisis, actor, now, action="crisis_withdrawn")
                return await self._status(conn, crisis.id, now)
            if crisis.status != "active":
                raise CrisisError(f"crisis {crisis.id} is {crisis.status} already")
            pending_end = (await conn.execute(select(UPDATES.c.seq).where(
                UPDATES.c.crisis_id == crisis.id, UPDATES.c.kind == "end", UPDATES.c.status == "pending"))).first()
            if pending_end is not None:
                raise CrisisError(f"the end of {crisis.id} awaits approval already")
            seq = await self._next_seq(conn, crisis.id)
            await self._new_update(conn, crisis.id, seq, "end", "resolved", actor, {"notes": dict(notes or {})}, now)
            await self._audit(conn, actor, "crisis_end_written", {"crisis": crisis.id, "seq": seq}, now)
            if not self.settings.crisis_approval:
                await self._publish_pending(conn, crisis.id, approver=None, now=now)
        return await self.status(crisis_id, now=now)

    async def approve(self, crisis_id: str, actor: str, *, now: dt.datetime | None = None) -> dict[str, Any]:
        actor = self.authorise(actor)
        now = now or utcnow()
        async with self._tx() as conn:
            crisis = await self._crisis(conn, crisis_id, lock=True)
            pending = (await conn.execute(select(UPDATES).where(
                UPDATES.c.crisis_id == crisis.id, UPDATES.c.status == "pending").order_by(UPDATES.c.seq))).all()
            if not pending:
                raise CrisisError(f"nothing of {crisis.id} awaits approval")
            own = [u.seq for u in pending if u.author.casefold() == actor.casefold()]
            if own:
                raise NotAuthorised("a second person must approve: you wrote this message")
            await self._publish_pending(conn, crisis.id, approver=actor, now=now)
        return await self.status(crisis_id, now=now)

    async def reject(self, crisis_id: str, actor: str, *, now: dt.datetime | None = None) -> dict[str, Any]:
        actor = self.authorise(actor)
        now = now or utcnow()
        async with self._tx() as conn:
            crisis = await self._crisis(conn, crisis_id, lock=True)
            await self._reject(conn, crisis, actor, now, action="crisis_rejected")
        return await self.status(crisis_id, now=now)

    async def _reject(self, conn: AsyncConnection, crisis: Any, actor: str, now: dt.datetime, *, action: str) -> None:
        result = await conn.execute(update(UPDATES).where(
            UPDATES.c.crisis_id == crisis.id, UPDATES.c.status == "pending").values(status="rejected",
                                                                                 approved_by=actor))
        if not result.rowcount:
            raise CrisisError(f"nothing of {crisis.id} awaits approval")
        if crisis.status == "pending":
            await conn.execute(update(CRISES).where(CRISES.c.id == crisis.id).values(
                status="rejected", ended_at=now, ended_by=actor))
        await self._audit(conn, actor, action, {"crisis": crisis.id, "messages": int(result.rowcount)}, now)

    # ---------------------------------------------------------------- the cadence
    async def tick(self, now: dt.datetime | None = None) -> int:
        """Post "no news yet" for every active crisis whose next update is due. Safe in any number of processes."""
        now = now or utcnow()
        async with self._tx() as conn:
            due = (await conn.execute(select(CRISES.c.id, CRISES.c.next_update_at).where(
                CRISES.c.status == "active", CRISES.c.next_update_at <= now))).all()
        posted = 0
        for crisis_id, slot in due:
            async with self._tx() as conn:
                crisis = await self._crisis(conn, crisis_id, lock=True)
                if crisis.status != "active" or crisis.next_update_at != slot:
                    continue  # another process took this slot, or staff posted meanwhile
                step = dt.timedelta(minutes=crisis.cadence_minutes)
                nxt = slot + step
                while nxt <= now:  # several missed slots (the bot was down): one message, the next slot ahead
                    nxt += step
                claimed = await conn.execute(update(CRISES).where(
                    CRISES.c.id == crisis.id, CRISES.c.next_update_at == slot).values(next_update_at=nxt))
                if claimed.rowcount != 1:
                    continue
                seq = await self._next_seq(conn, crisis.id)
                await self._new_update(conn, crisis.id, seq, "no_news", crisis.stage, "system", {}, now,
                                       slot=slot.isoformat())
                await self._publish_one(conn, crisis.id, seq, approver=None, now=now, next_update_at=nxt)
                posted += 1
        return posted

    # ---------------------------------------------------------------- publishing
    async def _new_update(self, conn: AsyncConnection, crisis_id: str, seq: int, kind: str, stage: str, author: str,
                          params: dict[str, Any], now: dt.datetime, *, slot: str | None = None) -> None:
        await conn.execute(insert(UPDATES).values(
            crisis_id=crisis_id, seq=seq, kind=kind, stage=stage, texts={}, params=params, author=author,
            approved_by=None, status="pending", slot=slot, next_update_at=None, created_at=now, published_at=None))

    async def _publish_pending(self, conn: AsyncConnection, crisis_id: str, *, approver: str | None,
                               now: dt.datetime) -> None:
        seqs = (await conn.execute(select(UPDATES.c.seq).where(
            UPDATES.c.crisis_id == crisis_id, UPDATES.c.status == "pending").order_by(UPDATES.c.seq))).scalars().all()
        for seq in seqs:
            await self._publish_one(conn, crisis_id, seq, approver=approver, now=now)

    async def _publish_one(self, conn: AsyncConnection, crisis_id: str, seq: int, *, approver: str | None,
                           now: dt.datetime, next_update_at: dt.datetime | None = None) -> None:
        crisis = await self._crisis(conn, crisis_id)
        upd = (await conn.execute(select(UPDATES).where(UPDATES.c.crisis_id == crisis_id, UPDATES.c.seq == seq))).one()
        pb = self._playbook(crisis.playbook_id)
        params = {**crisis.params, **(upd.params.get("set") or {})}
        ending = upd.kind == "end"
        if ending:
            nxt = None
        elif next_update_at is not None:
            nxt = next_update_at
        else:
            nxt = now + dt.timedelta(minutes=crisis.cadence_minutes)
        started_at = crisis.started_at or now
        texts = render_texts(pb, params, upd.kind, upd.stage, self.settings, now=now, next_update_at=nxt,
                             started_at=started_at, notes=upd.params.get("notes") or {})
        done = await conn.execute(update(UPDATES).where(UPDATES.c.id == upd.id, UPDATES.c.status == "pending").values(
            status="published", texts=texts, published_at=now, approved_by=approver, next_update_at=nxt))
        if done.rowcount != 1:
            return
        values: dict[str, Any] = {"stage": upd.stage, "params": params, "next_update_at": nxt}
        if crisis.status == "pending":
            values.update(status="active", started_at=now, approved_by=approver)
        if ending:
            values.update(status="ended", ended_at=now, ended_by=upd.author)
        await conn.execute(update(CRISES).where(CRISES.c.id == crisis_id).values(**values))
        rows = []
        sent_where: dict[str, list[str]] = {}
        for t in self.broadcast_targets():
            payload = {"text": texts.get(t.language) or texts["en"], "kind": "crisis_update", "language": t.language,
                       "crisis_id": crisis_id, "seq": seq, "update_kind": upd.kind, "stage": upd.stage}
            key = f"crisis:{crisis_id}:u{seq}:{t.channel}:{t.language}:{ref_key(t.recipient)}"
            rows.append(_outbox_row(t.channel, t.recipient, payload, key, now))
            sent_where.setdefault(t.channel, []).append(t.language)
        if ending and pb.policy.changes_unavailable:
            rows += await self._resume_rows(conn, crisis_id, texts, now)
        # what is still waiting of an earlier update is stale now (a backlogged chat gets the news, not history);
        # with the end, so are personal notices not yet sent
        stale = [OUTBOX.c.dedupe_key.like(f"crisis:{crisis_id}:u%")]
        if ending:
            stale.append(OUTBOX.c.dedupe_key.like(f"crisis:{crisis_id}:n:%"))
        cancelled = (await conn.execute(update(OUTBOX).where(or_(*stale), OUTBOX.c.status == "pending").values(
            status="cancelled", last_error=f"superseded by crisis update {seq}"))).rowcount or 0
        written = await insert_outbox(conn, rows)
        for ch in self.channels:
            if ch.name in PULL_CHANNELS:
                sent_where[ch.name] = list(self.languages)
        await self._audit(conn, approver or upd.author, "crisis_published", {
            "crisis": crisis_id, "seq": seq, "kind": upd.kind, "stage": upd.stage, "author": upd.author,
            "approved_by": approver, "outbox_rows": written, "cancelled_stale": cancelled, "sent_to": sent_where,
            "next_update_at": _iso(nxt)}, now)
        log.info("crisis_published", crisis=crisis_id, seq=seq, kind=upd.kind, outbox_rows=written)

    async def _resume_rows(self, conn: AsyncConnection, crisis_id: str, texts: Mapping[str, str],
                           now: dt.datetime) -> list[dict[str, Any]]:
        """The system is back: tell everyone whose change was taken during the outage (a reply resumes it)."""
        personal = {c.name for c in self.channels if c.personal}
        rows = []
        result = await conn.stream(select(CONV.c.id, CONV.c.channel, CONV.c.sender_id, CONV.c.language, CONV.c.state)
                                   .where(CONV.c.channel.in_(personal)))
        async for r in result:
            req = (r.state or {}).get("crisis_request") if isinstance(r.state, dict) else None
            if isinstance(req, dict) and req.get("crisis") == crisis_id:
                lang = r.language if r.language in texts else "en"
                rows.append(_outbox_row(r.channel, r.sender_id, {
                    "text": texts[lang], "kind": "crisis_notice", "language": lang, "crisis_id": crisis_id,
                }, f"crisis:{crisis_id}:q:{r.id}", now, conversation_id=r.id))
        return rows

    # ---------------------------------------------------------------- personal notices
    async def send_notices(self, crisis_id: str, *, page: int = 500, now: dt.datetime | None = None,
                           max_pages: int | None = None) -> int:
        """Write personal notices for the affected bookings whose channel is known; resumable. Returns rows written."""
        if self.adapter is None:
            return 0
        now = now or utcnow()
        written = 0
        known: dict[str, list[tuple[str, str, str | None, str]]] | None = None
        pages = 0
        while max_pages is None or pages < max_pages:
            pages += 1
            async with self._tx() as conn:
                crisis = await self._crisis(conn, crisis_id)
            if crisis.status != "active" or crisis.notices_done:
                break
            pb = self._playbook(crisis.playbook_id)
            scope = self.scope(pb, crisis.params, crisis.started_at or now)
            try:
                batch = await self.adapter.affected_bookings(scope, after=crisis.notice_cursor or "", limit=page)
            except ReservationError as exc:
                log.warning("crisis_notices_adapter_failed", crisis=crisis_id, error=type(exc).__name__)
                break
            if known is None:
                known = await self._known_contacts()
            base: dict[str, dict[str, str]] = {}  # the playbook's variables per language, once per page
            rows = [r for b in batch for r in self._notice_rows(crisis, pb, b, known, now, base)]
            async with self._tx() as conn:
                moved = await conn.execute(update(CRISES).where(
                    CRISES.c.id == crisis_id, CRISES.c.status == "active",
                    (CRISES.c.notice_cursor == crisis.notice_cursor) if crisis.notice_cursor is not None
                    else CRISES.c.notice_cursor.is_(None),
                ).values(notice_cursor=batch[-1].reference if batch else crisis.notice_cursor,
                         notices_done=len(batch) < page))
                if moved.rowcount != 1:
                    continue  # another process wrote this page; read the cursor again
                n = await insert_outbox(conn, rows)
                written += n
                if len(batch) < page:
                    by_channel: dict[str, int] = {}
                    for r in rows:
                        by_channel[r["channel"]] = by_channel.get(r["channel"], 0) + 1
                    await self._audit(conn, "system", "crisis_notices_written",
                                      {"crisis": crisis_id, "last_page": by_channel}, now)
            if len(batch) < page:
                break
        return written

    async def _known_contacts(self) -> dict[str, list[tuple[str, str, str | None, str]]]:
        """Booking reference -> (channel, recipient, language, conversation id) of conversations that verified it."""
        personal = {c.name for c in self.channels if c.personal}
        out: dict[str, list[tuple[str, str, str | None, str]]] = {}
        async with self._tx() as conn:
            result = await conn.stream(select(CONV.c.id, CONV.c.channel, CONV.c.sender_id, CONV.c.language,
                                              CONV.c.state).where(CONV.c.channel.in_(personal)))
            async for row in result:
                verified = (row.state or {}).get("verified") if isinstance(row.state, dict) else None
                ref = verified.get("reference") if isinstance(verified, dict) else None
                if ref:
                    out.setdefault(ref, []).append((row.channel, row.sender_id, row.language, row.id))
        return out

    def _notice_rows(self, crisis: Any, pb: Playbook, b: AffectedBooking,
                     known: Mapping[str, list[tuple[str, str, str | None, str]]],
                     now: dt.datetime, base: dict[str, dict[str, str]] | None = None) -> list[dict[str, Any]]:
        from bot.dialogue.formatting import fmt_datetime, place

        enabled = {c.name for c in self.channels if c.personal}
        targets: list[tuple[str, str, str, str | None]] = []
        for channel, recipient, language, conv_id in known.get(b.reference, ()):
            targets.append((channel, recipient, language or self.settings.default_language, conv_id))
        if "email" in enabled and b.contact_email:
            targets.append(("email", b.contact_email, self.settings.default_language, None))
        if "sms" in enabled and b.contact_phone:
            targets.append(("sms", b.contact_phone, self.settings.default_language, None))
        rows = []
        for channel, recipient, language, conv_id in targets:
            lang = language if language in PLAYBOOK_LANGUAGES else "en"
            cache = base if base is not None else {}
            if lang not in cache:
                cache[lang] = variables(pb, crisis.params, lang, self.settings, now=now,
                                        next_update_at=crisis.next_update_at, started_at=crisis.started_at)
            v = dict(cache[lang])
            v.update(reference=b.reference, flight=b.flight_number,
                     route=f"{place(b.origin)} → {place(b.destination)}",
                     departure=fmt_datetime(b.departure, b.origin, lang))
            text = render(pb.text("notice", lang), v).strip()
            key = f"crisis:{crisis.id}:n:{channel}:{ref_key(b.reference + recipient)}"
            payload = {"text": text, "kind": "crisis_notice", "language": lang, "crisis_id": crisis.id}
            rows.append(_outbox_row(channel, recipient, payload, key, now, conversation_id=conv_id))
        return rows

    # ---------------------------------------------------------------- reading
    async def active(self) -> list[dict[str, Any]]:
        """Active crises (for crisis mode): id, playbook, params, started_at, stage."""
        async with self._tx() as conn:
            rows = (await conn.execute(select(CRISES).where(CRISES.c.status == "active")
                                       .order_by(CRISES.c.started_at))).all()
        return [dict(r._mapping) for r in rows]

    async def published(self, *, limit: int = 50, since: dt.datetime | None = None) -> list[dict[str, Any]]:
        """Published updates, newest first, with their crisis (the status page and the feed)."""
        q = (select(UPDATES, CRISES.c.playbook_id, CRISES.c.status.label("crisis_status"))
             .join(CRISES, CRISES.c.id == UPDATES.c.crisis_id)
             .where(UPDATES.c.status == "published").order_by(UPDATES.c.published_at.desc(), UPDATES.c.id.desc())
             .limit(limit))
        if since is not None:
            q = q.where(UPDATES.c.published_at >= since)
        async with self._tx() as conn:
            rows = (await conn.execute(q)).all()
        return [dict(r._mapping) for r in rows]

    async def list_crises(self, *, include_ended: bool = False) -> list[dict[str, Any]]:
        q = select(CRISES).order_by(CRISES.c.created_at.desc())
        if not include_ended:
            q = q.where(CRISES.c.status.in_(("pending", "active")))
        async with self._tx() as conn:
            return [dict(r._mapping) for r in (await conn.execute(q.limit(100))).all()]

    async def status(self, crisis_id: str | None = None, *, now: dt.datetime | None = None) -> dict[str, Any]:
        now = now or utcnow()
        async with self._tx() as conn:
            if crisis_id is None:
                ids = (await conn.execute(select(CRISES.c.id).where(CRISES.c.status.in_(("pending", "active")))
                                          .order_by(CRISES.c.created_at))).scalars().all()
                return {"crises": [await self._status(conn, i, now) for i in ids]}
            return await self._status(conn, crisis_id, now)

    async def _status(self, conn: AsyncConnection, crisis_id: str, now: dt.datetime) -> dict[str, Any]:
        c = await self._crisis(conn, crisis_id)
        pb = self.playbooks.playbooks.get(c.playbook_id)
        updates = (await conn.execute(select(UPDATES).where(UPDATES.c.crisis_id == c.id)
                                      .order_by(UPDATES.c.seq))).all()
        broadcasts: dict[str, dict[str, dict[str, int]]] = {}
        notices: dict[str, dict[str, int]] = {}
        prefix = f"crisis:{c.id}:"
        rows = (await conn.execute(select(OUTBOX.c.dedupe_key, OUTBOX.c.channel, OUTBOX.c.status).where(
            OUTBOX.c.dedupe_key.like(prefix + "u%")))).all()
        for key, channel, status in rows:
            lang = key.split(":")[4]
            cell = broadcasts.setdefault(channel, {}).setdefault(lang, {"sent": 0, "pending": 0, "failed": 0})
            if status == "cancelled":
                cell["cancelled"] = cell.get("cancelled", 0) + 1
            else:
                cell["sent" if status == "sent" else "failed" if status == "failed" else "pending"] += 1
        published = [u for u in updates if u.status == "published"]
        for ch in PULL_CHANNELS:
            if any(x.name == ch for x in self.channels):
                broadcasts[ch] = {lang: {"sent": len(published), "pending": 0, "failed": 0} for lang in self.languages}
        for channel, status, n in (await conn.execute(
                select(OUTBOX.c.channel, OUTBOX.c.status, func.count()).where(
                    OUTBOX.c.dedupe_key.like(prefix + "n:%")).group_by(OUTBOX.c.channel, OUTBOX.c.status))).all():
            notices.setdefault(channel, {})[status] = int(n)
        return {
            "id": c.id, "playbook": c.playbook_id, "title": pb.title["en"] if pb else c.playbook_id,
            "severity": pb.severity if pb else None, "status": c.status, "stage": c.stage, "params": c.params,
            "started_by": c.started_by, "approved_by": c.approved_by, "ended_by": c.ended_by,
            "created_at": _iso(c.created_at), "started_at": _iso(c.started_at), "ended_at": _iso(c.ended_at),
            "cadence_minutes": c.cadence_minutes, "next_update_at": _iso(c.next_update_at),
            "affected": c.affected,
            "policy": pb.policy.model_dump() if pb else None,
            "updates": [{"seq": u.seq, "kind": u.kind, "stage": u.stage, "status": u.status, "author": u.author,
                         "approved_by": u.approved_by, "published_at": _iso(u.published_at),
                         "next_update_at": _iso(u.next_update_at), "text_en": (u.texts or {}).get("en")}
                        for u in updates],
            "awaiting_approval": [u.seq for u in updates if u.status == "pending"],
            "broadcasts": broadcasts,
            "notices": {"done": bool(c.notices_done), "by_channel": notices},
        }

    async def _affected_summary(self, pb: Playbook, params: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
        if self.adapter is None:
            return {"flights": [], "flight_count": None, "booking_count": None}
        scope = self.scope(pb, params, now)
        try:
            flights = await self.adapter.affected_flights(scope)
            count, after = 0, ""
            while True:
                page = await self.adapter.affected_bookings(scope, after=after, limit=2000)
                count += len(page)
                if len(page) < 2000:
                    break
                after = page[-1].reference
        except ReservationError as exc:
            log.warning("crisis_scope_failed", error=type(exc).__name__)
            return {"flights": [], "flight_count": None, "booking_count": None, "error": "reservation system"}
        return {
            "scope": {"airports": list(scope.airports), "direction": scope.direction, "start": _iso(scope.start),
                      "end": _iso(scope.end), "flights": list(scope.flight_numbers)},
            "flight_count": len(flights), "booking_count": count,
            "flights": [{"flight": f.flight_number, "date": f.date.isoformat(), "origin": f.origin,
                         "destination": f.destination, "departure": _iso(f.scheduled_departure),
                         "status": f.status} for f in flights[:500]],
        }

    # ---------------------------------------------------------------- helpers
    def _playbook(self, playbook_id: str) -> Playbook:
        try:
            return self.playbooks.get(playbook_id)
        except KeyError as exc:
            raise CrisisError(str(exc.args[0])) from None

    @staticmethod
    def _stage(stage: str, *, allow_resolved: bool) -> None:
        allowed = STAGES if allow_resolved else STAGES[:-1]
        if stage not in allowed:
            hint = " (use `crisis end` to resolve)" if stage == "resolved" else ""
            raise CrisisError(f"stage {stage!r} is not one of {', '.join(allowed)}{hint}")

    @staticmethod
    def _resolve(pb: Playbook, given: Mapping[str, str], now: dt.datetime,
                 previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
        try:
            return resolve(pb, given, now=now, previous=previous)
        except ParameterError as exc:
            raise CrisisError(str(exc)) from None

    async def _crisis(self, conn: AsyncConnection, crisis_id: str, *, lock: bool = False) -> Any:
        q = select(CRISES).where(CRISES.c.id == str(crisis_id).strip())
        if lock and conn.dialect.name == "postgresql":
            q = q.with_for_update()
        row = (await conn.execute(q)).first()
        if row is None:
            raise CrisisError(f"no crisis {crisis_id!r} (see `crisisbot crisis status`)")
        return row

    @staticmethod
    async def _next_seq(conn: AsyncConnection, crisis_id: str) -> int:
        return int((await conn.execute(select(func.coalesce(func.max(UPDATES.c.seq), 0)).where(
            UPDATES.c.crisis_id == crisis_id))).scalar_one()) + 1

    @staticmethod
    async def _audit(conn: AsyncConnection, actor: str, action: str, details: dict[str, Any],
                     now: dt.datetime) -> None:
        await conn.execute(insert(AUDIT).values(actor=f"staff:{actor}" if actor != "system" else "system",
                                                action=action, conversation_id=None, details=details, at=now))

    def _tx(self) -> Any:
        from bot.store.repo import Store

        return Store(self.engine).transaction()


def _counts(affected: Mapping[str, Any]) -> dict[str, Any]:
    return {"flights": affected.get("flight_count"), "bookings": affected.get("booking_count")}

