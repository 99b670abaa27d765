"""One redaction for everything that leaves the bot's data: log lines (tracebacks included) and audit rows.

Personal data (booking references, names, e-mails, phone numbers, client addresses) is never written in clear:

* values under a sensitive key (``last_name=...``, ``{"reference": ...}``) become a short stable hash
  (``fingerprint``), so one passenger can be followed across lines without being readable;
* in free text (messages, exception texts, SQL errors) e-mail addresses, phone numbers and booking codes are
  masked by pattern, and so is every personal value the bot has met in the current turn (``remember``): a last
  name cannot be told from other words by its shape, but once the dialogue has read it, it is known and masked
  wherever it turns up, in any case, e.g. in the text of an exception raised by a reservation system.

``redact`` works on any JSON-like value (dicts, lists, strings) and returns a redacted copy.
"""

from __future__ import annotations

import contextvars
import hashlib
import re
from collections.abc import Iterable
from typing import Any

SENSITIVE_KEYS = frozenset({
    "text", "message", "reference", "booking_reference", "last_name", "first_name", "name", "email", "phone",
    "contact", "contact_email", "contact_phone", "sender_name", "display_name", "passengers", "client_address",
    "address",
})
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"(?<![\w+])\+\d{1,3}[\d ()-]{6,}\d|(?<!\w)0\d{1,3}[ -]?\d{6,8}(?!\w)")
BOOKING_CODE = re.compile(r"\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6}\b")
# values a database driver quotes back in its own error texts (asyncpg: "invalid input for query argument $3: 'x'")
DRIVER_VALUE = re.compile(r"(query argument \$\d+: ).*?(?= \(|$)", re.M)
# SQLAlchemy's rendering of bound parameters (engines are created with hide_parameters; this is the safety net)
SQL_PARAMETERS = re.compile(r"\[parameters: .*?\]$", re.M | re.S)
# PostgreSQL's own error details quote the row or key values ("Failing row contains (...)", "Key (x)=(...)")
PG_DETAIL = re.compile(r"^(\s*DETAIL:\s+).*$", re.M)
PG_VALUES = re.compile(r"(Failing row contains |Key \([^)]*\)=)\(.*$", re.M)
_FINGERPRINT = re.compile(r"^h:[0-9a-f]{10}$")

MAX_REMEMBERED = 64
_known: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("crisisbot_personal_values", default=())
_known_pattern: dict[tuple[str, ...], re.Pattern[str] | None] = {}


def fingerprint(value: Any) -> str:
    """A short stable hash, so the same value can be followed across lines without being readable."""
    text = str(value)
    if _FINGERPRINT.match(text):
        return text  # already a fingerprint: redacting twice keeps it followable
    return "h:" + hashlib.sha256(text.casefold().encode("utf-8", "replace")).hexdigest()[:10]


def remember(*values: Any) -> None:
    """Mark values as personal data for the rest of the current turn (this task's context): they are masked in
    every log line and audit row written meanwhile, whatever the case they appear in."""
    new = [str(v).strip() for v in values if v is not None and len(str(v).strip()) >= 2]
    if not new:
        return
    current = _known.get()
    merged = tuple(dict.fromkeys((*current, *new)))[-MAX_REMEMBERED:]
    if merged != current:
        _known.set(merged)


def remember_from(obj: Any, keys: Iterable[str] = SENSITIVE_KEYS - {"text", "message"}) -> None:
    """Remember the values under sensitive keys anywhere in a JSON-like structure (e.g. a dialogue state)."""
    wanted = frozenset(keys)
    stack = [obj]
    found: list[Any] = []
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for k, v in item.items():
                if k in wanted and isinstance(v, (str, int)) and not isinstance(v, bool):
                    found.append(v)
                elif isinstance(v, (dict, list, tuple)):
                    stack.append(v)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    remember(*found)


def forget() -> None:
    """Start a new turn: the values remembered for the previous one are no longer masked."""
    _known.set(())


def remembered() -> tuple[str, ...]:
    return _known.get()


def _known_regex() -> re.Pattern[str] | None:
    values = _known.get()
    if not values:
        return None
    if values not in _known_pattern:
        if len(_known_pattern) > 256:
            _known_pattern.clear()
        alternatives = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
        _known_pattern[values] = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.I)
    return _known_pattern[values]


def scrub(text: str) -> str:
    """Mask personal data inside free text."""
    text = SQL_PARAMETERS.sub("[parameters: <redacted>]", text)
    text = PG_DETAIL.sub(r"\1<redacted>", text)
    text = PG_VALUES.sub(r"\1(<redacted>)", text)
    text = DRIVER_VALUE.sub(r"\1<redacted>", text)
    known = _known_regex()
    if known is not None:
        text = known.sub("<personal>", text)
    text = EMAIL.sub("<email>", text)
    text = PHONE.sub("<phone>", text)
    return BOOKING_CODE.sub("<code>", text)


def redact(value: Any, *, keep: frozenset[str] = frozenset(), _depth: int = 0) -> Any:
    """A redacted copy of a JSON-like value: sensitive keys fingerprinted, free text scrubbed, at any depth.

    Keys in ``keep`` are left as they are at the top level (a log line's timestamp and level)."""
    if _depth > 50:
        return "<too deep>"
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            key = scrub(k) if isinstance(k, str) else k
            if _depth == 0 and k in keep:
                out[key] = v
            elif k in SENSITIVE_KEYS and v is not None and not isinstance(v, (dict, list, tuple)):
                out[key] = fingerprint(v)
            elif k in SENSITIVE_KEYS and isinstance(v, (dict, list, tuple)):
                out[key] = "<redacted>"
            else:
                out[key] = redact(v, _depth=_depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [redact(v, _depth=_depth + 1) for v in value]
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return scrub(str(value))
