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

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import StoreError
from bot.store.db import table_of, utcnow
from bot.store.models import AuthThrottle

T = table_of(AuthThrottle)
_SALT = "crisisbot-auth-throttle:"


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
        """Count one failed verification; returns the locks this very failure started (each reported once).

        Per key, in one transaction with the key's row locked: a new window when the old one is over, one more
        failure, and a lock when the count reaches the limit while the key is not locked already. Keys are taken
        in a fixed order, so concurrent failures neither deadlock nor get lost."""
        now = now or utcnow()
        window = dt.timedelta(minutes=float(self.settings.auth_window_minutes))
        until = now + dt.timedelta(minutes=float(self.settings.auth_lock_minutes))
        started: list[Lock] = []
        try:
            async with self.engine.begin() as conn:
                dialect = conn.dialect.name
                for key, (scope, limit) in sorted(self._keys(reference, address).items()):
                    ins = (postgresql if dialect == "postgresql" else sqlite).insert(T)
                    await conn.execute(
                        ins.values(key=key, failures=0, window_start=now, updated_at=now).on_conflict_do_nothing()
                    )
                    q = select(T.c.failures, T.c.window_start, T.c.locked_until).where(T.c.key == key)
                    if dialect == "postgresql":
                        q = q.with_for_update()
                    row = (await conn.execute(q)).one()
                    fresh = row.window_start < now - window
                    failures = 1 if fresh else row.failures + 1
                    locked_until = row.locked_until
                    if (locked_until is None or locked_until <= now) and failures >= limit:
                        locked_until = until
                        started.append(Lock(scope, until, failures))
                    await conn.execute(
                        update(T).where(T.c.key == key).values(
                            failures=failures, window_start=now if fresh else row.window_start,
                            locked_until=locked_until, updated_at=now)
                    )
                if random.random() < 0.01:  # now and then: forget keys nobody has tried for a day
                    await conn.execute(
                        delete(T).where(T.c.updated_at < now - dt.timedelta(days=1),
                                        or_(T.c.locked_until.is_(None), T.c.locked_until < now))
                    )
        except (OperationalError, DBAPIError) as exc:
            raise StoreError(f"auth throttle: {type(exc).__name__}") from exc
        return started
