"""The web chat's REST channel: bad input gets a clear 4xx and stores nothing; good input is answered by Rasa."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from bot import appkeys
from bot.app import create_app
from bot.settings import Settings
from bot.storage import Message

WEBHOOK = "/webhooks/rest/webhook"


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    # Bad input never reaches Rasa: an engine address where nothing listens proves it.
    return replace(Settings(), database_url=sqlite_url, engine_token="test-token", rasa_port=9, actions_port=9)


@pytest.fixture
async def client(aiohttp_client, settings: Settings):
    return await aiohttp_client(create_app(settings))


async def stored_messages(client) -> int:
    async with client.app[appkeys.DATABASE].connect() as connection:
        return await connection.scalar(select(func.count()).select_from(Message))


BAD_REQUESTS = [
    pytest.param({"sender": "a", "message": ""}, 400, "vide", id="empty message"),
    pytest.param({"sender": "a", "message": "   \n\t "}, 400, "vide", id="only spaces"),
    pytest.param({"sender": "a"}, 400, "message", id="no message"),
    pytest.param({"sender": "a", "message": 12}, 400, "texte", id="message is a number"),
    pytest.param({"sender": "a", "message": ["PGE"]}, 400, "texte", id="message is a list"),
    pytest.param({"sender": "a", "message": None}, 400, "texte", id="message is null"),
    pytest.param({"message": "PGE"}, 400, "sender", id="no sender"),
    pytest.param({"sender": 7, "message": "PGE"}, 400, "sender", id="sender is a number"),
    pytest.param({"sender": "  ", "message": "PGE"}, 400, "sender", id="blank sender"),
    pytest.param({"sender": "s" * 129, "message": "PGE"}, 400, "128", id="sender too long"),
    # Each would be stored as another id ("xy", "x\ufffd", "x"), sharing that sender's conversation.
    pytest.param({"sender": "x\u0000y", "message": "PGE"}, 400, "imprimables", id="sender with a NUL"),
    pytest.param({"sender": "x\ud800", "message": "PGE"}, 400, "imprimables", id="sender with a lone surrogate"),
    pytest.param({"sender": "x\u200b", "message": "PGE"}, 400, "imprimables", id="sender with a zero-width space"),
    pytest.param({"sender": "x\n", "message": "PGE"}, 400, "imprimables", id="sender with a newline"),
    pytest.param({"sender": " x", "message": "PGE"}, 400, "imprimables", id="sender with a space around"),
    pytest.param({"sender": "a", "message": "PGE", "message_id": "m\u0000"}, 400, "message_id", id="message_id with a NUL"),
    pytest.param({"sender": "a", "message": "PGE", "message_id": 5}, 400, "message_id", id="message_id not text"),
    pytest.param(["sender", "message"], 400, "objet JSON", id="a list, not an object"),
    pytest.param("PGE", 400, "objet JSON", id="a string, not an object"),
]


@pytest.mark.parametrize("body, status, words", BAD_REQUESTS)
async def test_bad_json_bodies_get_a_clear_4xx_and_store_nothing(client, body, status, words) -> None:
    response = await client.post(WEBHOOK, json=body)
    assert response.status == status
    assert words in (await response.json())["error"]
    assert await stored_messages(client) == 0


async def test_invalid_json_is_refused(client) -> None:
    response = await client.post(WEBHOOK, data=b'{"sender": "a", "message": ', headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert "JSON valide" in (await response.json())["error"]
    assert await stored_messages(client) == 0


@pytest.mark.parametrize("depth", [900, 1000, 100_000])
async def test_json_nested_too_deep_is_refused_in_french(client, depth: int) -> None:
    body = '{"sender": "a", "message": "PGE", "x": ' + "[" * depth + "]" * depth + "}"
    response = await client.post(WEBHOOK, data=body.encode(), headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert "imbriqué" in (await response.json())["error"]
    assert await stored_messages(client) == 0


async def test_non_utf8_bytes_are_refused(client) -> None:
    body = '{"sender": "a", "message": "prêt"}'.encode("latin-1")
    response = await client.post(WEBHOOK, data=body, headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert "UTF-8" in (await response.json())["error"]
    assert await stored_messages(client) == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
async def test_wrong_content_type_is_refused(client, content_type: str) -> None:
    body = json.dumps({"sender": "a", "message": "PGE"}).encode()
    response = await client.post(WEBHOOK, data=body, headers={"Content-Type": content_type})
    assert response.status == 415
    assert "application/json" in (await response.json())["error"]
    assert await stored_messages(client) == 0


@pytest.mark.parametrize("after", ["²", "١٢", "１２", "-1", "+1", " 1", "1.0", "9" * 19, "9223372036854775808"])
async def test_history_after_anything_but_a_message_id_is_a_400_in_french(client, after: str) -> None:
    response = await client.get("/webhooks/rest/history", params={"sender": "a", "after": after})
    assert response.status == 400
    assert "« after »" in (await response.json())["error"]


async def test_a_huge_body_is_refused_without_a_crash(client) -> None:
    response = await client.post(WEBHOOK, json={"sender": "a", "message": "x" * 300_000})
    assert response.status == 413
    assert "trop long" in (await response.json())["error"]
    assert await stored_messages(client) == 0


async def test_history_of_an_unknown_sender_is_empty_and_needs_a_sender(client) -> None:
    response = await client.get("/webhooks/rest/history", params={"sender": "nobody"})
    assert response.status == 200 and await response.json() == {"messages": []}
    response = await client.get("/webhooks/rest/history")
    assert response.status == 400


# A lone surrogate cannot come in a query string: its UTF-8 bytes are invalid and arrive as U+FFFD.
@pytest.mark.parametrize("sender", ["x\u0000y", "x\u0085", "x\u00a0"])
async def test_history_and_news_refuse_a_sender_that_would_be_another_id(client, sender) -> None:
    for path in ("/webhooks/rest/history", "/webhooks/rest/news"):
        response = await client.get(path, params={"sender": sender, "since": "2020-11-30T09:00:00Z"})
        assert response.status == 400 and "imprimables" in (await response.json())["error"], path


async def test_the_web_chat_page_is_served_in_french(client) -> None:
    response = await client.get("/")
    assert response.status == 200
    page = await response.text()
    assert 'lang="fr"' in page and "/static/chat.js" in page
    assert (await client.get("/static/chat.js")).status == 200


# --- with the real engine ------------------------------------------------------------------------------


@pytest.fixture
async def live_client(aiohttp_client, stack, sqlite_url: str):
    settings = replace(stack.settings, database_url=sqlite_url)
    return await aiohttp_client(create_app(settings))


async def ask(client, sender: str, text: str, **extra) -> list[dict]:
    response = await client.post(WEBHOOK, json={"sender": sender, "message": text, **extra})
    assert response.status == 200, await response.text()
    return await response.json()


async def test_the_answer_follows_rasas_rest_contract(live_client) -> None:
    replies = await ask(live_client, "contract", "bonjour")
    assert replies, "the bot answers a greeting"
    for reply in replies:
        assert reply["recipient_id"] == "contract"
        assert set(reply) <= {"recipient_id", "text", "buttons", "image", "custom", "attachment"}
        for button in reply.get("buttons", []):
            assert set(button) == {"title", "payload"}


async def test_unknown_fields_are_ignored(live_client) -> None:
    replies = await ask(live_client, "extra-fields", "bonjour", colour="blue", metadata={"x": 1})
    assert replies


@pytest.mark.parametrize("text", ["😀😀😀", "🙏", "?!…", "👍 👍"])
async def test_a_message_without_words_gets_a_polite_reply(live_client, text: str) -> None:
    replies = await ask(live_client, f"emoji-{text}", text)
    assert ["que du texte" in r["text"] for r in replies] == [True]


async def test_ten_thousand_characters_get_a_polite_reply_and_are_stored(live_client) -> None:
    text = "Bonjour, " + "je suis boulanger et " * 500
    text = text[:10_000]
    replies = await ask(live_client, "long", text)
    assert len(replies) == 1 and "résumer" in replies[0]["text"]
    log = live_client.app[appkeys.MESSAGE_LOG]
    conversation = await log.find_conversation("rest", "long")
    assert [len(m.text) for m in await log.transcript(conversation.id)][0] == 10_000


async def test_nul_bytes_and_lone_surrogates_do_not_break_storage(live_client) -> None:
    raw = b'{"sender": "odd", "message": "pr\\u00eat\\u0000 PGE \\ud800"}'
    response = await live_client.post(WEBHOOK, data=raw, headers={"Content-Type": "application/json"})
    assert response.status == 200
    assert await response.json()


async def test_a_retried_message_id_is_answered_once_with_the_same_replies(live_client) -> None:
    first = await ask(live_client, "retry", "c'est quoi le PGE", message_id="m-1")
    second = await ask(live_client, "retry", "c'est quoi le PGE", message_id="m-1")
    assert first == second and first
    log = live_client.app[appkeys.MESSAGE_LOG]
    conversation = await log.find_conversation("rest", "retry")
    transcript = await log.transcript(conversation.id)
    assert [m.direction for m in transcript].count("in") == 1


async def test_history_returns_the_conversation_in_order(live_client) -> None:
    await ask(live_client, "history", "bonjour")
    await ask(live_client, "history", "merci")
    response = await live_client.get("/webhooks/rest/history", params={"sender": "history"})
    messages = (await response.json())["messages"]
    assert [m["text"] for m in messages if m["direction"] == "in"] == ["bonjour", "merci"]
    assert messages[0]["direction"] == "in" and messages[1]["direction"] == "out"


async def test_messages_of_one_sender_are_answered_in_order(live_client) -> None:
    texts = ["bonjour", "c quoi le fonds de solidarite", "merci", "au revoir"]
    results = await asyncio.gather(*(ask(live_client, "ordered", t, message_id=str(i)) for i, t in enumerate(texts)))
    assert all(results)
    log = live_client.app[appkeys.MESSAGE_LOG]
    conversation = await log.find_conversation("rest", "ordered")
    transcript = await log.transcript(conversation.id)
    inbound = [m for m in transcript if m.direction == "in"]
    answered_in = sorted(inbound, key=lambda m: m.processed_at)
    assert [m.id for m in answered_in] == sorted(m.id for m in inbound)
