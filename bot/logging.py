"""structlog set-up with personal data redaction: booking codes, names, e-mails and phones never reach logs."""

from __future__ import annotations

import hashlib
import logging
import re
import sys
from typing import Any

import structlog

SENSITIVE_KEYS = {
    "text", "message", "reference", "booking_reference", "last_name", "first_name", "name", "email", "phone",
    "contact", "contact_email", "contact_phone", "sender_name", "display_name", "passengers",
}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"\+?\d[\d ()-]{7,}\d")
BOOKING_CODE = re.compile(r"\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6}\b")


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
        elif isinstance(value, str) and key != "event":
            event[key] = scrub(value)
    if isinstance(event.get("event"), str):
        event["event"] = scrub(event["event"])
    return event


def configure_logging(level: str = "INFO", json: bool = False) -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=getattr(logging, level.upper(), logging.INFO))
    for noisy in ("uvicorn.access", "httpx", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper(), logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
