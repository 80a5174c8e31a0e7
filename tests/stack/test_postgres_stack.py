"""The whole assistant on PostgreSQL: the gateway's tables and Rasa's tracker share the server, in two schemas."""

from __future__ import annotations

import asyncio
import os
import uuid

import aiohttp
import asyncpg
import pytest

from tests.support.stack import start_stack, stop_stack

pytestmark = pytest.mark.stack


async def test_conversation_and_rasa_tracker_are_stored_in_postgresql(postgres_url: str, tmp_path) -> None:
    stack = await asyncio.to_thread(start_stack, tmp_path, postgres_url)
    try:
        sender = f"pg-{uuid.uuid4().hex[:8]}"
        async with aiohttp.ClientSession() as session:
            for text in ("bonjour", "je peux reporter mes cotisations urssaf ?"):
                async with session.post(
                    f"{stack.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
                ) as response:
                    assert response.status == 200 and await response.json()
            async with session.get(f"{stack.url}/healthz") as response:
                assert (await response.json())["database"] == "up"
        started = stack.group_pids()
        assert len(started) >= 4  # supervisor, action server, Rasa, gateway
    finally:
        assert await asyncio.to_thread(stop_stack, stack) == 0  # SIGTERM: a clean stop, not a kill
    assert [pid for pid in started if os.path.exists(f"/proc/{pid}")] == [], "nothing left behind"

    connection = await asyncpg.connect(postgres_url)
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
