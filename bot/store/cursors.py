"""Channel cursors: how far a polling channel has read (Telegram's getUpdates offset, X's since ids).

A cursor only moves forward, whoever writes it: a poller that lost its leadership late cannot move it back.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.db import table_of, utcnow
from bot.store.models import ChannelCursor
from bot.store.repo import Store

CURSORS = table_of(ChannelCursor)


async def get(store: Store, name: str) -> int | None:
    async with store.transaction() as conn:
        return (await conn.execute(select(CURSORS.c.position).where(CURSORS.c.name == name))).scalar_one_or_none()


async def advance(store: Store, name: str, position: int) -> int:
    """Move the cursor to ``position`` unless it is already there or further; returns where it stands."""
    for _attempt in range(3):
        async with store.transaction() as conn:
            res = await conn.execute(
                update(CURSORS)
                .where(CURSORS.c.name == name, CURSORS.c.position < position)
                .values(position=position, updated_at=utcnow())
            )
            if res.rowcount:
                return position
            current = (
                await conn.execute(select(CURSORS.c.position).where(CURSORS.c.name == name))
            ).scalar_one_or_none()
            if current is not None:
                return int(current)
        try:
            async with store.transaction() as conn:
                await conn.execute(insert(CURSORS).values(name=name, position=position, updated_at=utcnow()))
            return position
        except IntegrityError:
            continue  # another process created it first: compare again
    return position
