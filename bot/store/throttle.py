"""Verification throttling that a new sender id cannot reset.

The per-conversation limit (settings.max_auth_attempts_per_hour, in the dialogue state) stops one conversation
guessing; an attacker who opens a new conversation per guess is stopped here. Failed verifications are counted in
the database (so every process and channel sees the same counts):

* per booking reference, whoever asks: ``auth_failures_per_reference`` failures within ``auth_window_minutes``
  lock the reference for ``auth_lock_minutes``: nobody can verify it meanwhile, not even with the right name
  (the passenger is offered a colleague);
* per client address on the web channels (REST, web chat), over all references: ``auth_failures_per_address``
  failures lock the address the same way. IPv6 addresses count per /64, which one client usually has whole.

Keys are hashes (``ref:<sha256>``, ``addr:<sha256>``), never the reference or address itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, delete, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import StoreError
from bot.store.db import utcnow
from bot.store.models import AuthThrottle

T = AuthThrottle.__table__
_SALT = "crisisbot-auth-throttle:"
_SAME = dt.timedelta(milliseconds=1)


def reference_key(reference: str) -> str:
    ref = "".join(str(reference).split()).upper()
    return "ref:" + hashlib.sha256((_SALT + "ref:" + ref).encode("utf-8", "replace")).hexdigest()[:40]


def address_key(address: str) -> str | None:
    """The key of a client address (None when it is not an IP address: a test client, a Unix socket)."""
    try:
        ip = ipaddress.ip_address(str(address).strip().split("%")[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    net = str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)
    return "addr:" + hashlib.sha256((_SALT + "addr:" + net).encode()).hexdigest()[:40]


@dataclass(frozen=True, slots=True)
class Lock:
    scope: str  # "reference" | "address"
    until: dt.datetime
    failures: int = 0


class VerificationThrottle:
    def __init__(self, engine: AsyncEngine, settings: Any) -> None:
        self.engine = engine
        self.settings = settings

    def _keys(self, reference: str, address: str | None) -> dict[str, tuple[str, int]]:
        """key -> (scope, limit)"""
        keys = {reference_key(reference): ("reference", int(self.settings.auth_failures_per_reference))}
        akey = address_key(address) if address else None
        if akey is not None:
            keys[akey] = ("address", int(self.settings.auth_failures_per_address))
        return keys

    async def locked(self, reference: str, address: str | None, now: dt.datetime | None = None) -> Lock | None:
        """The lock that refuses a verification of this reference from this address now, if any."""
        now = now or utcnow()
        keys = self._keys(reference, address)
        try:
            async with self.engine.begin() as conn:
                rows = (
                    await conn.execute(
                        select(T.c.key, T.c.locked_until, T.c.failures).where(
                            T.c.key.in_(list(keys)), T.c.locked_until > now
                        )
                    )
                ).all()
        except (OperationalError, DBAPIError) as exc:
            raise StoreError(f"auth throttle: {type(exc).__name__}") from exc
        if not rows:
            return None
        row = max(rows, key=lambda r: r.locked_until)
        return Lock(keys[row.key][0], row.locked_until, row.failures)

    async def failed(self, reference: str, address: str | None, now: dt.datetime | None = None) -> list[Lock]:
        """Count one failed verification; returns the locks this failure started (each is reported once)."""
        now = now or utcnow()
        window = dt.timedelta(minutes=float(self.settings.auth_window_minutes))
        until = now + dt.timedelta(minutes=float(self.settings.auth_lock_minutes))
        started: list[Lock] = []
        try:
            async with self.engine.begin() as conn:
                for key, (scope, limit) in sorted(self._keys(reference, address).items()):
                    row = (await conn.execute(self._upsert(conn.dialect.name, key, limit, now, window, until))).first()
                    # locked by this very failure: reported (audited, counted) once per lock
                    if row is not None and row.locked_until is not None and abs(row.locked_until - until) < _SAME:
                        started.append(Lock(scope, until, row.failures))
                if random.random() < 0.01:  # now and then: forget keys nobody has tried for a day
                    await conn.execute(
                        delete(T).where(T.c.updated_at < now - dt.timedelta(days=1),
                                        or_(T.c.locked_until.is_(None), T.c.locked_until < now))
                    )
        except (OperationalError, DBAPIError) as exc:
            raise StoreError(f"auth throttle: {type(exc).__name__}") from exc
        return started

    @staticmethod
    def _upsert(dialect: str, key: str, limit: int, now: dt.datetime, window: dt.timedelta, until: dt.datetime) -> Any:
        """One atomic statement: count the failure in the key's window (a new window when the old one is over) and
        lock the key when the count reaches the limit. Concurrent failures are each counted once."""
        ins = (postgresql if dialect == "postgresql" else sqlite).insert(T)
        stmt = ins.values(key=key, failures=1, window_start=now, updated_at=now,
                          locked_until=until if limit <= 1 else None)
        expired = T.c.window_start < literal(now - window, T.c.window_start.type)
        count = case((expired, 1), else_=T.c.failures + 1)
        still_locked = and_(T.c.locked_until.is_not(None), T.c.locked_until > literal(now, T.c.locked_until.type))
        return stmt.on_conflict_do_update(
            index_elements=[T.c.key],
            set_={
                "failures": count,
                "window_start": case((expired, literal(now, T.c.window_start.type)), else_=T.c.window_start),
                "locked_until": case(
                    (still_locked, T.c.locked_until),
                    (count >= limit, literal(until, T.c.locked_until.type)),
                    else_=None,
                ),
                "updated_at": now,
            },
        ).returning(T.c.failures, T.c.locked_until)
