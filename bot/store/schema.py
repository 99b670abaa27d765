"""Create the schema: Alembic migrations (``crisisbot db upgrade``) in production, the same for tests."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine


async def create_schema(engine: AsyncEngine) -> None:
    """Bring the database to the latest schema (runs the Alembic migrations)."""
    from bot.store.migrate import upgrade

    await upgrade(engine)
