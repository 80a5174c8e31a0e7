"""The engine client and Rasa's gateway channel (engine/gateway_channel.py), against the real Rasa server."""

from __future__ import annotations

import uuid

import aiohttp
import pytest

from bot.errors import EngineError, EngineUnavailable
from bot.messaging.rasa_client import RasaClient


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


def client(http, stack, **changes) -> RasaClient:
    settings = stack.settings
    return RasaClient(
        http,
        changes.get("rasa_url", settings.rasa_url),
        settings.actions_url,
        changes.get("token", settings.engine_token),
        timeout=10,
    )


async def test_the_answer_carries_the_intent_and_its_confidence(http, stack) -> None:
    reply = await client(http, stack).send(uuid.uuid4().hex, "bonjour", "m1")
    assert reply.intent == "greet" and 0.5 < reply.confidence <= 1
    assert reply.messages and reply.messages[0]["text"]


async def test_a_message_sent_again_after_a_crash_is_not_handled_twice(http, stack) -> None:
    engine = client(http, stack)
    conversation = uuid.uuid4().hex
    first = await engine.send(conversation, "c quoi le fonds de solidarite", "msg-7")
    again = await engine.send(conversation, "c quoi le fonds de solidarite", "msg-7", retry=True)
    assert again == first

    async with http.get(
        f"{stack.settings.rasa_url}/conversations/{conversation}/tracker",
        params={"token": stack.settings.engine_token},
    ) as response:
        tracker = await response.json()
    assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == ["c quoi le fonds de solidarite"]


async def test_a_wrong_token_is_refused(http, stack) -> None:
    with pytest.raises(EngineError, match="401"):
        await client(http, stack, token="not-the-token").send("x", "bonjour", "m")


async def test_an_unreachable_engine_is_reported_as_such(http, stack) -> None:
    engine = client(http, stack, rasa_url="http://127.0.0.1:9")
    with pytest.raises(EngineUnavailable):
        await engine.send("x", "bonjour", "m")
    status = await engine.status()
    assert (status.rasa_up, status.model) == (False, None)


async def test_status_names_the_loaded_model(http, stack) -> None:
    status = await client(http, stack).status()
    assert status.rasa_up and status.actions_up and status.model.startswith("crisisbot-")


async def stuck_in_a_loop(http, stack, conversation: str) -> None:
    """Leave a Rasa conversation as issue 19's bug did: ten actions since its last action_listen."""
    url = f"{stack.settings.rasa_url}/conversations/{conversation}/tracker/events"
    events = [
        {"event": "user", "text": "c quoi le PGE ?", "parse_data": {"intent": {"name": "faq_pge", "confidence": 0.98}}},
        *[{"event": "action", "name": "action_fallback"} for _ in range(10)],
    ]
    async with http.post(url, json=events, params={"token": stack.settings.engine_token}) as response:
        assert response.status == 200, await response.text()


async def test_a_turn_stopped_by_the_circuit_breaker_is_ended_and_reported(http, stack) -> None:
    engine, conversation = client(http, stack), uuid.uuid4().hex
    await engine.send(conversation, "bonjour", "m1")
    await stuck_in_a_loop(http, stack, conversation)

    stopped = await engine.send(conversation, "et le chomage partiel ?", "m2")
    assert (stopped.incident, stopped.messages) == ("circuit_breaker", [])

    after = await engine.send(conversation, "c quoi le PGE ?", "m3")
    assert after.incident is None and after.intent == "faq_pge"
    assert [m.get("response") for m in after.messages] == ["utter_faq_pge"], "the turn was ended: Rasa listens again"


async def test_a_resumed_conversation_answers_its_next_message(http, stack) -> None:
    engine, conversation = client(http, stack), uuid.uuid4().hex
    await engine.send(conversation, "bonjour", "m1")
    url = f"{stack.settings.rasa_url}/conversations/{conversation}/tracker/events"
    # As the handoff action leaves it: an action, then the pause, with no action_listen after it.
    paused = [{"event": "action", "name": "action_handoff"}, {"event": "pause"}]
    async with http.post(url, json=paused, params={"token": stack.settings.engine_token}) as response:
        assert response.status == 200
    await engine.resume(conversation)
    reply = await engine.send(conversation, "c quoi le PGE ?", "m2")
    assert reply.incident is None and [m.get("response") for m in reply.messages] == ["utter_faq_pge"]
