"""The durable message log, on SQLite and on PostgreSQL: what is stored, dropped, ordered and read back."""

from __future__ import annotations

import asyncio
from datetime import UTC

from sqlalchemy import inspect as sa_inspect

from bot.storage import Author, Direction, MessageStatus, create_engine, migrate
from bot.storage.message_log import Inbound, MessageLog


async def test_migrations_create_the_tables_and_can_run_twice(database_url: str) -> None:
    await asyncio.to_thread(migrate, database_url)
    await asyncio.to_thread(migrate, database_url)
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda c: sa_inspect(c).get_table_names())
    await engine.dispose()
    assert {"conversations", "messages", "alembic_version"} <= set(tables)


async def test_first_message_opens_a_conversation_and_is_stored_unanswered(log: MessageLog) -> None:
    stored = await log.store_inbound(Inbound("rest", "artisan-1", "Bonjour, le PGE ?", "m1"))

    assert stored.is_new
    assert stored.conversation.channel == "rest"
    assert stored.conversation.state == "bot"
    message = stored.message
    assert (message.direction, message.author, message.status) == (Direction.IN, Author.ARTISAN, MessageStatus.RECEIVED)
    assert message.created_at.tzinfo is not None
    assert message.created_at.utcoffset() == UTC.utcoffset(None)


async def test_a_redelivered_message_is_recognised_not_stored_twice(log: MessageLog) -> None:
    first = await log.store_inbound(Inbound("rest", "artisan-1", "PGE", "same-id"))
    again = await log.store_inbound(Inbound("rest", "artisan-1", "PGE", "same-id"))

    assert not again.is_new
    assert again.message.id == first.message.id
    assert [m.text for m in await log.transcript(first.conversation.id)] == ["PGE"]


async def test_same_platform_id_on_another_channel_is_another_message(log: MessageLog) -> None:
    a = await log.store_inbound(Inbound("rest", "x", "un", "42"))
    b = await log.store_inbound(Inbound("telegram", "x", "deux", "42"))
    assert b.is_new and a.conversation.id != b.conversation.id


async def test_unanswered_messages_come_out_oldest_first_and_answers_are_linked(log: MessageLog) -> None:
    for i in range(3):
        stored = await log.store_inbound(Inbound("rest", "artisan-2", f"message {i}"))
    conversation_id = stored.conversation.id
    unanswered = [message for message, state in await log.unanswered()]
    assert [m.text for m in unanswered] == ["message 0", "message 1", "message 2"]
    assert {state for _, state in await log.unanswered()} == {"bot"}

    for message in unanswered:
        await log.record_answer(
            message,
            [{"recipient_id": "x", "text": f"réponse à {message.text}", "buttons": [{"title": "Menu", "payload": "/help"}]}],
            intent="faq_pge",
            confidence=0.93,
        )

    assert await log.unanswered() == []
    transcript = await log.transcript(conversation_id)
    # In time order: the three messages arrived before any answer was stored.
    assert [(m.direction, m.text) for m in transcript] == [
        ("in", "message 0"), ("in", "message 1"), ("in", "message 2"),
        ("out", "réponse à message 0"), ("out", "réponse à message 1"), ("out", "réponse à message 2"),
    ]
    answered = transcript[0]
    assert (answered.status, answered.intent, answered.confidence) == (MessageStatus.DONE, "faq_pge", 0.93)
    reply = transcript[3]
    assert reply.reply_to_id == answered.id and reply.author == Author.BOT
    assert reply.buttons == [{"title": "Menu", "payload": "/help"}]
    assert "recipient_id" not in (reply.payload or {})


async def test_recent_conversations_come_latest_message_first(log: MessageLog) -> None:
    first = await log.store_inbound(Inbound("rest", "early", "bonjour"))
    second = await log.store_inbound(Inbound("rest", "late", "bonjour"))
    await log.store_inbound(Inbound("rest", "early", "encore moi"))
    recent = await log.recent_conversations()
    assert [c.id for c, _ in recent] == [first.conversation.id, second.conversation.id]
    assert all(at.tzinfo is not None for _, at in recent)


async def test_waiting_for_replies_stored_by_someone_else(log: MessageLog) -> None:
    stored = await log.store_inbound(Inbound("rest", "artisan-6", "pge"))
    assert await log.wait_replies(stored.message.id, timeout=0.3) == []

    async def answer_soon() -> None:
        await asyncio.sleep(0.2)
        await log.record_answer(stored.message, [{"text": "Voici le PGE."}])

    answering = asyncio.create_task(answer_soon())
    replies = await log.wait_replies(stored.message.id, timeout=5)
    await answering
    assert [r.text for r in replies] == ["Voici le PGE."]


async def test_sent_status_is_recorded(log: MessageLog) -> None:
    stored = await log.store_inbound(Inbound("rest", "artisan-4", "merci"))
    message = stored.message
    replies = await log.record_answer(message, [{"text": "Avec plaisir."}])
    assert [r.status for r in await log.replies_to(message.id)] == [MessageStatus.PENDING]
    await log.mark_sent(replies)
    assert [r.status for r in await log.replies_to(message.id)] == [MessageStatus.SENT]


async def test_text_with_any_unicode_round_trips(log: MessageLog) -> None:
    text = "Ça va ? 😟 « chômage » — ½ 漢字"
    stored = await log.store_inbound(Inbound("rest", "artisan-5", text))
    assert (await log.transcript(stored.conversation.id))[0].text == text


async def test_concurrent_first_messages_share_one_conversation(log: MessageLog) -> None:
    results = await asyncio.gather(*(log.store_inbound(Inbound("rest", "racy", f"m{i}")) for i in range(8)))
    assert len({r.conversation.id for r in results}) == 1
    assert len(await log.transcript(results[0].conversation.id)) == 8
