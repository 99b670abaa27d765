"""The project's exception hierarchy.

Every third-party error is translated at the edge (store, channel, NLU backend, reservation adapter) into one of
these, so callers handle one family of errors::

    CrisisbotError
    ├── ConfigurationError        settings or environment are unusable (e.g. database unreachable at start)
    ├── ContentError              a YAML content file is invalid (file, line, field)
    ├── StoreError                the database failed (may pass: retry later)
    │   ├── ConcurrencyConflict   optimistic version check or lease lost
    │   └── StoreDataError        the database refused the values themselves (never passes: do not retry)
    ├── ChannelError              a platform could not be reached or refused a message
    │   └── RateLimited           the platform asked us to slow down (retry_after seconds)
    ├── NLUError                  the NLU backend failed
    ├── BadRequest                malformed inbound input (webhook body, CLI flag)
    │   └── PayloadTooLarge       the input is over a documented size limit
    ├── Unauthorized              a webhook's secret is missing or wrong
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
    """A platform could not be reached or refused the message."""


class RateLimited(ChannelError):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NLUError(CrisisbotError):
    """The NLU backend failed."""


class BadRequest(CrisisbotError):
    """Malformed inbound input."""


class PayloadTooLarge(BadRequest):
    """Inbound input over a documented size limit (refused whole, never stored cut)."""


class Unauthorized(CrisisbotError):
    """A request without the right credentials (e.g. a webhook's shared secret)."""
