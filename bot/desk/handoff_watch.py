"""This module contains HandoffWatch: nobody waits forever for an adviser who does not come.

Every `HANDOFF_CHECK_SECONDS` it gives back to the bot the conversations waiting past
`HANDOFF_MAX_WAIT_MINUTES` or when the advisers' day is over, and those whose adviser left (no live staff
session: logged out, idle too long, account disabled). The artisan is told each time, and offered a callback.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.desk.handoff import AGENT, WAITING, Handoff
from bot.messaging.replies import ADVISERS_GONE, NOBODY_IN_TIME
from bot.settings import Settings
from bot.shared.french import describe_hours_fr
from bot.storage.models import Conversation, StaffSession

logger = logging.getLogger(__name__)


class HandoffWatch:
    """The periodic checks of the hand-offs, and the check an adviser's logout makes at once."""

    def __init__(self, handoff: Handoff, sessionmaker: async_sessionmaker, settings: Settings) -> None:
        self._handoff = handoff
        self._sessionmaker = sessionmaker
        self._settings = settings

    async def run(self) -> None:
        """Check every `handoff_check_seconds`, until cancelled; a failed check is logged and tried again."""
        while True:
            await asyncio.sleep(self._settings.handoff_check_seconds)
            try:
                await self.expire_overdue()
                await self.release_absent()
            except Exception:
                logger.exception("Checking the conversations waiting for an adviser failed")

    async def expire_overdue(self) -> int:
        """Give back to the bot every conversation that waited past the maximum, or when advisers stopped for
        the day. Returns how many."""
        now = self._settings.clock()
        hours = self._settings.adviser_hours
        limit = now - timedelta(minutes=self._settings.handoff_max_wait_minutes)
        open_now = hours.is_open(now)
        async with self._sessionmaker() as session:
            query = select(Conversation.id, Conversation.waiting_since).where(Conversation.state == WAITING)
            waiting = list(await session.execute(query))
        expired = 0
        for conversation_id, since in waiting:
            if open_now and since is not None and since > limit:
                continue
            if open_now:
                expired += await self._handoff.expire(conversation_id, "nobody in time", NOBODY_IN_TIME)
            else:
                text = ADVISERS_GONE.format(hours=describe_hours_fr(hours))
                expired += await self._handoff.expire(conversation_id, "advisers' hours over", text)
        return expired

    async def release_absent(self, account_id: int | None = None) -> int:
        """Give back to the bot the conversations of advisers with no live session; with `account_id`, that
        adviser's only (at logout). Returns how many."""
        now = self._settings.clock()
        idle = timedelta(hours=self._settings.staff_session_idle_hours)
        present = select(StaffSession.account_id).where(
            StaffSession.expires_at > now, StaffSession.last_seen_at > now - idle
        )
        query = select(Conversation.id).where(Conversation.state == AGENT, Conversation.agent_id.not_in(present))
        if account_id is not None:
            query = query.where(Conversation.agent_id == account_id)
        async with self._sessionmaker() as session:
            held = list(await session.scalars(query))
        released = 0
        for conversation_id in held:
            released += await self._handoff.release(conversation_id)
        return released
