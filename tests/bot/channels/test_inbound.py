"""accept() (bot/channels/inbound.py): a channel's message is stored, then answered once, however often the
platform delivers it."""

from __future__ import annotations

import asyncio

from bot import appkeys
from bot.channels.inbound import accept
from bot.storage.message_log import Inbound


async def test_a_message_delivered_twice_is_stored_and_queued_once(client) -> None:
    app = client.app
    inbound = Inbound("telegram", "4242", "bonjour", platform_message_id="u1")
    first, again = await asyncio.gather(accept(app, inbound), accept(app, inbound))
    assert {first.is_new, again.is_new} == {True, False}
    assert first.message.id == again.message.id
    transcript = await app[appkeys.MESSAGE_LOG].transcript(first.conversation.id)
    assert [m.text for m in transcript if m.direction == "in"] == ["bonjour"]
