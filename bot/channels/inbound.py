"""This module contains accept(), the one way a channel hands an artisan's message to the message path."""

from __future__ import annotations

from aiohttp import web

from bot import appkeys
from bot.storage.message_log import Inbound, Stored


async def accept(app: web.Application, inbound: Inbound) -> Stored:
    """Store an artisan's message and queue it for an answer; return once it is stored (never waits for Rasa).

    A message the platform delivered before (same platform message id) is stored once and answered once.
    """
    log, router = app[appkeys.MESSAGE_LOG], app[appkeys.ROUTER]
    async with router.arrival(inbound.channel, inbound.external_id):
        stored = await log.store_inbound(inbound)
        if stored.is_new:
            router.submit(stored.message, stored.conversation.state)
    return stored
