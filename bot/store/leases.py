"""Service leases: which process runs the once-per-deployment services (a row per group, renewed by its holder)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.db import table_of, utcnow
from bot.store.models import ServiceLease
from bot.store.repo import Store

LEASES = table_of(ServiceLease)


async def take_or_renew(store: Store, name: str, holder: str, seconds: float) -> bool:
    """Take the lease if it is free or expired, or renew it if we hold it. True when we hold it afterwards."""
    now = utcnow()
    until = now + dt.timedelta(seconds=seconds)
    async with store.transaction() as conn:
        res = await conn.execute(
            update(LEASES)
            .where(LEASES.c.name == name, or_(LEASES.c.holder == holder, LEASES.c.expires_at < now))
            .values(holder=holder, expires_at=until)
        )
        if res.rowcount:
            return True
    try:
        async with store.transaction() as conn:
            await conn.execute(insert(LEASES).values(name=name, holder=holder, expires_at=until, acquired_at=now))
        return True
    except IntegrityError:
        return False  # somebody else holds it


async def release(store: Store, name: str, holder: str) -> None:
    """Give the lease up at once (a clean shutdown), so another process takes over without waiting."""
    async with store.transaction() as conn:
        await conn.execute(delete(LEASES).where(LEASES.c.name == name, LEASES.c.holder == holder))


async def holder_of(store: Store, name: str) -> str | None:
    async with store.transaction() as conn:
        row = (
            await conn.execute(select(LEASES.c.holder).where(LEASES.c.name == name, LEASES.c.expires_at >= utcnow()))
        ).first()
        return row[0] if row else None
