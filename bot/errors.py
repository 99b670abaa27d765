"""The project's exception hierarchy.

Every third-party error is translated at the edge (store, channel, NLU backend, reservation adapter) into one of
these, so callers handle one family of errors::

    CrisisbotError
    ├── ConfigurationError        settings or environment are unusable (e.g. database unreachable at start)
    ├── ContentError              a YAML content file is invalid (file, line, field)
    ├── StoreError                the database failed (may pass: retry later)
    │   ├── ConcurrencyConflict   optimistic version check or lease lost
    │   └── StoreDataError        the database refused the values themselves (never passes: do not retry)
    ├── ChannelError              a platform could not be reached or refused a message (retried with backoff)
    │   ├── RateLimited           the platform asked us to slow down (retry_after seconds)
    │   └── Undeliverable         the platform refused this message for good (bot blocked, chat gone): not retried
    ├── NLUError                  the NLU backend failed
    ├── RequestRejected           inbound input refused; ``status_code`` is the HTTP answer (mapped in bot/app.py)
    │   ├── BadRequest            malformed inbound input (webhook body, CLI flag)              400
    │   │   └── PayloadTooLarge   a body or message over the documented limit                   413
    │   ├── Unauthorized          credentials missing (e.g. no signature header)                401
    │   └── Forbidden             credentials wrong (bad signature, secret token, stale request) 403
    ├── CaseError                 an agent's action on a handoff case cannot be done (bot/cases)
    │   ├── CaseNotFound          no such case
    │   └── CaseConflict          claimed by someone else, not the agent's, or closed already
    └── ReservationError          see bot.reservations.base for its subclasses
"""

from __future__ import annotations


class CrisisbotError(Exception):
    """Base class of every error raised by crisisbot."""


class ConfigurationError(CrisisbotError):
    """Settings or environment are unusable."""


class ContentError(CrisisbotError):
    """A content file (intents/, flows/, crisis_playbooks/) is invalid.

    ``str(error)`` reads ``file:line: field: message`` so editors and CI can jump to it.
    """

    def __init__(self, file: str, line: int | None, field: str | None, message: str) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.message = message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


class ContentErrors(CrisisbotError):
    """Several content errors found in one validation run."""

    def __init__(self, errors: list[ContentError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class StoreError(CrisisbotError):
    """The database failed."""


class ConcurrencyConflict(StoreError):
    """Somebody else changed the row first (optimistic version) or the conversation lease was lost."""


class StoreDataError(StoreError):
    """The database refused the values given (out of range, not storable text): the same input fails again."""


class ChannelError(CrisisbotError):
    """A platform could not be reached or refused the message; the outbox retries it with backoff.

    A message sent in several parts (split at the platform's length limit, or an X thread) that fails half-way says
    how far it got: ``parts_sent`` parts were delivered, the last one with ``platform_id``. The outbox keeps that, so
    a retry sends the remaining parts only (``OutboundMessage.parts_sent`` / ``last_platform_id``).
    """

    parts_sent: int | None = None
    platform_id: str | None = None


class RateLimited(ChannelError):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Undeliverable(ChannelError):
    """The platform refused this message for good (the passenger blocked the bot, the chat no longer exists, the
    message itself is invalid): the outbox marks it failed at once instead of retrying."""


class NLUError(CrisisbotError):
    """The NLU backend failed."""


class RequestRejected(CrisisbotError):
    """Inbound input refused before anything was stored; ``status_code`` is what an HTTP client gets."""

    status_code: int = 400


class BadRequest(RequestRejected):
    """Malformed inbound input."""

    status_code = 400


class PayloadTooLarge(BadRequest):
    """A body or message over the documented limit (refused whole, never stored cut)."""

    status_code = 413


class Unauthorized(RequestRejected):
    """A request without the credentials its route requires (no signature, no secret token)."""

    status_code = 401


class Forbidden(RequestRejected):
    """A request whose credentials are wrong: bad signature or secret token, or a replayed/stale request."""

    status_code = 403


class CaseError(CrisisbotError):
    """An agent's action on a handoff case cannot be done."""


class CaseNotFound(CaseError):
    """No such case."""


class CaseConflict(CaseError):
    """The case is not in a state that allows the action (claimed by someone else, not yours, closed)."""
