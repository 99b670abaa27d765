"""structlog set-up with personal data redaction: booking codes, names, e-mails and phones never reach logs."""

from __future__ import annotations

import hashlib
import logging
import re
import sys
from typing import IO, Any

import structlog

SENSITIVE_KEYS = {
    "text", "message", "reference", "booking_reference", "last_name", "first_name", "name", "email", "phone",
    "contact", "contact_email", "contact_phone", "sender_name", "display_name", "passengers",
}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"(?<![\w+])\+\d{1,3}[\d ()-]{6,}\d|(?<!\w)0\d{1,3}[ -]?\d{6,8}(?!\w)")
BOOKING_CODE = re.compile(r"\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6}\b")
NOT_SCRUBBED = {"event", "timestamp", "level", "logger", "logger_name"}


def fingerprint(value: str) -> str:
    """A short stable hash, so the same value can be followed across log lines without being readable."""
    return "h:" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:10]


def scrub(value: str) -> str:
    value = EMAIL.sub("<email>", value)
    value = PHONE.sub("<phone>", value)
    return BOOKING_CODE.sub("<code>", value)


def redact(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    for key, value in list(event.items()):
        if key in SENSITIVE_KEYS and value is not None:
            event[key] = fingerprint(str(value))
        elif isinstance(value, str) and key not in NOT_SCRUBBED:
            event[key] = scrub(value)
    if isinstance(event.get("event"), str):
        event["event"] = scrub(event["event"])
    return event


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
            redact,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False),
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(lvl)
    for noisy in ("uvicorn.access", "httpx", "alembic", "sqlalchemy.engine"):
        logging.getLogger(noisy).setLevel(max(lvl, logging.WARNING))
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
