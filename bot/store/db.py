"""Engine and session factory for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, Table, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on both backends (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def normalise_url(url: str) -> str:
    """Accept the URLs people paste (postgresql://, postgres://, sqlite:///) and pick the async driver."""
    u = make_url(url)
    driver = u.drivername
    if driver in ("postgres", "postgresql", "postgresql+psycopg2"):
        u = u.set(drivername="postgresql+asyncpg")
    elif driver == "sqlite":
        u = u.set(drivername="sqlite+aiosqlite")
    return u.render_as_string(hide_password=False)


def is_sqlite(url_or_engine: str | AsyncEngine) -> bool:
    url = url_or_engine if isinstance(url_or_engine, str) else str(url_or_engine.url)
    return url.startswith("sqlite")


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine. Bound parameters (passengers' names, codes, messages) are never rendered into SQL error
    texts or SQL logs (``hide_parameters``); ``echo`` logs statements through the application's redacting logging
    instead of SQLAlchemy's own stdout handler."""
    url = normalise_url(url)
    if echo:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    if is_sqlite(url):
        path = make_url(url).database
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        engine = create_async_engine(url, hide_parameters=True, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # take the write lock at the start of every transaction: no SQLITE_BUSY upgrade deadlocks
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        # let SQLAlchemy's "begin" event issue the BEGIN (pysqlite's own transaction handling off)
        @event.listens_for(engine.sync_engine, "connect", insert=True)
        def _sqlite_autocommit(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

        return engine
    return create_async_engine(url, hide_parameters=True, pool_size=10, max_overflow=20, pool_recycle=1800)


def table_of(model: type[Any]) -> Table:
    """A declarative model's Table, typed as one (``Model.__table__`` is typed as the broader FromClause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
