"""structlog set-up with personal data redaction: booking codes, names, e-mails and phones never reach logs.

Every record, ours (structlog) or a library's (uvicorn, SQLAlchemy, asyncpg) goes through one formatter, which
first renders the exception and stack (so tracebacks are masked too) and then passes the whole line through
``bot.privacy.redact``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, MutableMapping
from typing import IO, Any

import structlog

from bot.privacy import SENSITIVE_KEYS, fingerprint, redact, scrub

__all__ = ["SENSITIVE_KEYS", "configure_logging", "fingerprint", "redact_event", "scrub"]

NOT_SCRUBBED = frozenset({"timestamp", "level", "logger", "logger_name"})


def redact_event(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Mapping[str, Any]:
    """The last step before rendering: runs after the exception and stack have been turned into text."""
    return redact(dict(event), keep=NOT_SCRUBBED)


def configure_logging(level: str = "INFO", json: bool = False, stream: IO[str] | None = None) -> None:
    """structlog and the standard library (uvicorn, SQLAlchemy, our modules) through one redacting formatter."""
    lvl = getattr(logging, level.upper(), logging.INFO)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,  # tracebacks become text first ...
            redact_event,  # ... so that they are redacted with everything else
            structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False),
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(lvl)
    # (aiosqlite logs every statement with its parameters at DEBUG: names and codes the redaction cannot tell)
    for noisy in ("uvicorn.access", "httpx", "httpcore", "alembic", "sqlalchemy.engine", "aiosqlite"):
        logging.getLogger(noisy).setLevel(max(lvl, logging.WARNING))
    # nothing may log around the redacting handler (SQLAlchemy's echo adds its own stdout handler, for one)
    for name in ("uvicorn", "uvicorn.error", "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.engine.Engine",
                 "sqlalchemy.pool", "asyncio"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
