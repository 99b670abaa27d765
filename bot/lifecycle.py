"""The life cycle every I/O seam shares: ``initialize()`` / ``shutdown()`` and ``async with``."""

from __future__ import annotations

import abc
from typing import Self


class AsyncResource(abc.ABC):  # noqa: B024 - a mixin of optional hooks; subclasses add the abstract methods
    """Base of channels, NLU backends, reservation adapters and dialogue engines (python-telegram-bot style)."""

    async def initialize(self) -> None:  # noqa: B027 - optional hook
        """Open connections, load models, register webhooks."""

    async def shutdown(self) -> None:  # noqa: B027 - optional hook
        """Release what initialize() took."""

    async def __aenter__(self) -> Self:
        await self.initialize()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.shutdown()
