"""Several processes starting at once on an empty PostgreSQL database migrate it once, without colliding."""

from __future__ import annotations

import asyncio

import pytest

from bot.store.db import create_engine
from bot.store.migrate import current_revision, head_revision, upgrade


@pytest.fixture
def empty_pg(request: pytest.FixtureRequest) -> object:
    from tests.conftest import _pg_exec, _with_database, pg_admin_url

    admin = pg_admin_url()
    if not admin:
        pytest.skip("needs CRISISBOT_TEST_DATABASE_URL (PostgreSQL)")
    import uuid

    name = f"cb_empty_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_exec(admin, f'CREATE DATABASE "{name}"'))
    yield _with_database(admin, name)
    asyncio.run(_pg_exec(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def test_four_processes_migrating_at_once_all_succeed(empty_pg: str):
    engines = [create_engine(empty_pg) for _ in range(4)]
    try:
        await asyncio.gather(*(upgrade(e) for e in engines))
        assert await current_revision(engines[0]) == head_revision()
    finally:
        for e in engines:
            await e.dispose()
