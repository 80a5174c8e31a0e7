"""This module contains InitiativeWatch: every `INITIATIVES_CHECK_SECONDS` (300 by default) it runs
Initiatives.check, which expires the initiatives past their end, asks their proposers whether they still run
after two weeks, and retires those left a week without an answer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from bot.initiatives.moderation import Initiatives

logger = logging.getLogger(__name__)


class InitiativeWatch:
    """The periodic check of the initiatives."""

    def __init__(self, initiatives: Initiatives, every_seconds: float, clock: Callable[[], datetime]) -> None:
        self._initiatives = initiatives
        self._every = every_seconds
        self._clock = clock

    async def check(self) -> dict[str, int]:
        counts = await self._initiatives.check(self._clock())
        if any(counts.values()):
            logger.info("Initiatives checked: %s", counts)
        return counts

    async def run(self) -> None:
        """Check every `every_seconds`, until cancelled; a failed check is logged and tried again."""
        while True:
            await asyncio.sleep(self._every)
            try:
                await self.check()
            except Exception:
                logger.exception("Checking the solidarity initiatives failed")
