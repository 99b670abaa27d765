"""Shared fixtures.

* Tests fail if they try to reach anything but loopback (the network guard below).
* ``db_url`` runs a store test on SQLite and, when ``CRISISBOT_TEST_DATABASE_URL`` points at a PostgreSQL server,
  on PostgreSQL too (a fresh database per test, dropped afterwards). Without it the PostgreSQL variant skips with a
  reason; `.ci/run` always sets it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

PG_ENV = "CRISISBOT_TEST_DATABASE_URL"

# never read a developer's own .env or settings in tests
for _key in list(os.environ):
    if _key.startswith("CRISISBOT_") and _key != PG_ENV:
        del os.environ[_key]
# ... nor write into the developer's own data directory (the default database lives there)
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="crisisbot-test-data-")


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(sock: socket.socket, address: object) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    host = address[0] if isinstance(address, tuple) else address
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host in ("localhost",):
            return
        raise RuntimeError(f"test tried to reach the network: {host!r}") from None
    if not ip.is_loopback:
        raise RuntimeError(f"test tried to reach the network: {host!r}")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check_address(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check_address(self, address)
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


def pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def _pg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _pg_exec(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_pg_dsn(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _migrate(url: str) -> None:
    from bot.store.db import create_engine
    from bot.store.migrate import upgrade

    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to the latest schema; every test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    """One PostgreSQL database migrated to the latest schema; every test gets a copy (CREATE DATABASE .. TEMPLATE)."""
    admin = pg_admin_url()
    if not admin:
        yield None
        return
    name = f"cb_tmpl_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_exec(admin, f'CREATE DATABASE "{name}"'))
    try:
        asyncio.run(_migrate(_with_database(admin, name)))
        yield name
    finally:
        asyncio.run(_pg_exec(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_template: str | None
) -> Iterator[str]:
    """A fresh database at the latest schema: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    admin = pg_admin_url()
    if not admin or not pg_template:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)")
    name = f"cb_{uuid.uuid4().hex[:16]}"
    asyncio.run(_pg_exec(admin, f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    try:
        yield _with_database(admin, name)
    finally:
        asyncio.run(_pg_exec(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite database (no schema yet)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[object]:
    """An engine on a fresh database at the latest schema (create_schema is then a no-op check)."""
    from bot.store.db import create_engine
    from bot.store.schema import create_schema

    eng = create_engine(db_url)
    await create_schema(eng)
    try:
        yield eng
    finally:
        await eng.dispose()


def stop_processes(procs: list[subprocess.Popen[bytes]], timeout: float = 15) -> None:
    """Stop server processes a test started: terminate all, then kill those that do not stop in time."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
