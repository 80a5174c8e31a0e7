"""The conversation router on the real engine: order kept, nothing lost when the gateway or Rasa stops."""

from __future__ import annotations

from dataclasses import replace

from bot import keys
from bot.app import create_app
from bot.storage import MessageStatus

WEBHOOK = "/webhooks/rest/webhook"


async def test_a_message_stored_while_rasa_is_down_is_answered_after_a_gateway_restart(
    aiohttp_client, stack, sqlite_url: str
) -> None:
    # A gateway whose Rasa is unreachable: the message is stored, the webhook answers without waiting forever.
    down = replace(stack.settings, database_url=sqlite_url, rasa_port=9, reply_timeout=1.0)
    first = await aiohttp_client(create_app(down))
    response = await first.post(WEBHOOK, json={"sender": "survivor", "message": "c quoi le PGE", "message_id": "1"})
    assert response.status == 200 and await response.json() == []
    log = first.app[keys.MESSAGE_LOG]
    conversation = await log.find_conversation("rest", "survivor")
    [stored] = await log.transcript(conversation.id)
    assert stored.status == MessageStatus.RECEIVED
    await first.close()  # the gateway stops before it could answer

    # The gateway starts again, Rasa is back: the stored message is answered without being sent again.
    second = await aiohttp_client(create_app(replace(stack.settings, database_url=sqlite_url)))
    response = await second.post(WEBHOOK, json={"sender": "survivor", "message": "c quoi le PGE", "message_id": "1"})
    replies = await response.json()
    assert replies and "25" in replies[0]["text"]
    transcript = await second.app[keys.MESSAGE_LOG].transcript(conversation.id)
    assert [(m.direction, m.status) for m in transcript][0] == ("in", MessageStatus.DONE)
    assert transcript[0].intent == "faq_pge"
    assert [m.direction for m in transcript].count("in") == 1
    assert {m.status for m in transcript if m.direction == "out"} == {MessageStatus.SENT}, "collected by the retry"


async def test_replies_returned_to_the_waiting_request_are_recorded_as_sent(aiohttp_client, stack, sqlite_url) -> None:
    client = await aiohttp_client(create_app(replace(stack.settings, database_url=sqlite_url)))
    response = await client.post(WEBHOOK, json={"sender": "sent-status", "message": "bonjour"})
    assert await response.json()
    log = client.app[keys.MESSAGE_LOG]
    conversation = await log.find_conversation("rest", "sent-status")
    outbound = [m for m in await log.transcript(conversation.id) if m.direction == "out"]
    assert outbound and {m.status for m in outbound} == {MessageStatus.SENT}


async def test_conversations_proceed_in_parallel_each_in_its_own_order(aiohttp_client, stack, sqlite_url: str) -> None:
    import asyncio

    client = await aiohttp_client(create_app(replace(stack.settings, database_url=sqlite_url)))
    script = ["bonjour", "pret garanti par l etat", "merci", "au revoir"]

    async def converse(sender: str) -> None:
        for i, text in enumerate(script):
            response = await client.post(WEBHOOK, json={"sender": sender, "message": text, "message_id": str(i)})
            assert response.status == 200 and await response.json()

    senders = [f"parallel-{n}" for n in range(6)]
    await asyncio.gather(*(converse(s) for s in senders))
    log = client.app[keys.MESSAGE_LOG]
    for sender in senders:
        conversation = await log.find_conversation("rest", sender)
        transcript = await log.transcript(conversation.id)
        assert [m.text for m in transcript if m.direction == "in"] == script
        assert [m.intent for m in transcript if m.direction == "in"] == ["greet", "faq_pge", "thank", "goodbye"]
