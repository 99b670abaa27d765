"""Alembic environment: always called with a connection from bot.store.migrate."""

from __future__ import annotations

from alembic import context

import bot.reservations.sql.models
import bot.store.models  # noqa: F401
from bot.store.db import Base

target_metadata = Base.metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via bot.store.migrate
    raise RuntimeError("run migrations with `crisisbot db upgrade`")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
