"""The whole assistant on PostgreSQL: the gateway's tables and Rasa's tracker share the server, in two schemas. (The
stack stops cleanly, leaving nothing behind: its fixture checks, tests/conftest.py.)"""

from __future__ import annotations

import uuid

import aiohttp
import asyncpg
import pytest

pytestmark = pytest.mark.stack


async def test_conversation_and_rasa_tracker_are_stored_in_postgresql(postgres_stack) -> None:
    stack = postgres_stack.stack
    sender = f"pg-{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession() as session:
        for text in ("bonjour", "je peux reporter mes cotisations urssaf ?"):
            async with session.post(
                f"{stack.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
            ) as response:
                assert response.status == 200 and await response.json()
        async with session.get(f"{stack.url}/healthz") as response:
            assert (await response.json())["database"] == "up"
    assert len(stack.group_pids()) >= 4  # supervisor, action server, Rasa, gateway

    connection = await asyncpg.connect(stack.settings.database_url)
    try:
        rows = await connection.fetch(
            "SELECT m.direction, m.text, m.intent FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.external_id = $1 ORDER BY m.id",
            sender,
        )
        conversation_id = await connection.fetchval("SELECT id FROM conversations WHERE external_id = $1", sender)
        rasa_events = await connection.fetchval(
            "SELECT count(*) FROM rasa.events WHERE sender_id = $1 AND type_name = 'user'", conversation_id
        )
    finally:
        await connection.close()
    inbound = [(r["text"], r["intent"]) for r in rows if r["direction"] == "in"]
    assert inbound == [("bonjour", "greet"), ("je peux reporter mes cotisations urssaf ?", "faq_report_charges")]
    assert sum(r["direction"] == "out" for r in rows) >= 2
    assert rasa_events == 2
