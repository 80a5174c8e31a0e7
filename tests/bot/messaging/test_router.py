"""The conversation router on the real engine: order kept, nothing lost when the gateway or Rasa stops; the admins'
live answers put in place of Rasa's."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime

from bot import appkeys
from bot.app import create_app
from bot.messaging import replies
from bot.messaging.rasa_client import RasaReply
from bot.messaging.router import ConversationRouter, screened
from bot.retrain.answers import LiveAnswers
from bot.settings import ROOT
from bot.storage import MessageStatus, create_engine, create_sessionmaker, migrate
from bot.storage.audit import Actor
from bot.storage.message_log import Inbound, MessageLog
from bot.storage.models import IncidentKind

WEBHOOK = "/webhooks/rest/webhook"


async def test_a_message_stored_while_rasa_is_down_is_answered_after_a_gateway_restart(
    aiohttp_client, stack, sqlite_url: str
) -> None:
    # A gateway whose Rasa is unreachable: the message is stored, the webhook answers without waiting forever.
    down = replace(stack.settings, database_url=sqlite_url, rasa_port=9, reply_timeout=1.0)
    first = await aiohttp_client(create_app(down))
    response = await first.post(WEBHOOK, json={"sender": "survivor", "message": "c quoi le PGE", "message_id": "1"})
    assert response.status == 200 and await response.json() == []
    log = first.app[appkeys.MESSAGE_LOG]
    conversation = await log.find_conversation("rest", "survivor")
    [stored] = await log.transcript(conversation.id)
    assert stored.status == MessageStatus.RECEIVED
    await first.close()  # the gateway stops before it could answer

    # The gateway starts again, Rasa is back: the stored message is answered without being sent again.
    second = await aiohttp_client(create_app(replace(stack.settings, database_url=sqlite_url)))
    response = await second.post(WEBHOOK, json={"sender": "survivor", "message": "c quoi le PGE", "message_id": "1"})
    replies = await response.json()
    assert replies and "25" in replies[0]["text"]
    transcript = await second.app[appkeys.MESSAGE_LOG].transcript(conversation.id)
    assert [(m.direction, m.status) for m in transcript][0] == ("in", MessageStatus.DONE)
    assert transcript[0].intent == "faq_pge"
    assert [m.direction for m in transcript].count("in") == 1
    assert {m.status for m in transcript if m.direction == "out"} == {MessageStatus.SENT}, "collected by the retry"


async def test_replies_returned_to_the_waiting_request_are_recorded_as_sent(aiohttp_client, stack, sqlite_url) -> None:
    client = await aiohttp_client(create_app(replace(stack.settings, database_url=sqlite_url)))
    response = await client.post(WEBHOOK, json={"sender": "sent-status", "message": "bonjour"})
    assert await response.json()
    log = client.app[appkeys.MESSAGE_LOG]
    conversation = await log.find_conversation("rest", "sent-status")
    outbound = [m for m in await log.transcript(conversation.id) if m.direction == "out"]
    assert outbound and {m.status for m in outbound} == {MessageStatus.SENT}


async def test_conversations_proceed_in_parallel_each_in_its_own_order(aiohttp_client, stack, sqlite_url: str) -> None:
    client = await aiohttp_client(create_app(replace(stack.settings, database_url=sqlite_url)))
    script = ["bonjour", "pret garanti par l etat", "merci", "au revoir"]

    async def converse(sender: str) -> None:
        for i, text in enumerate(script):
            response = await client.post(WEBHOOK, json={"sender": sender, "message": text, "message_id": str(i)})
            assert response.status == 200 and await response.json()

    senders = [f"parallel-{n}" for n in range(6)]
    await asyncio.gather(*(converse(s) for s in senders))
    log = client.app[appkeys.MESSAGE_LOG]
    for sender in senders:
        conversation = await log.find_conversation("rest", sender)
        transcript = await log.transcript(conversation.id)
        assert [m.text for m in transcript if m.direction == "in"] == script
        assert [m.intent for m in transcript if m.direction == "in"] == ["greet", "faq_pge", "thank", "goodbye"]


class ScriptedEngine:
    """Rasa's answer to every message: the PGE answer in two parts, as the gateway channel returns it."""

    async def send(self, conversation_id: str, text: str, message_id: str, **_: object):
        return RasaReply(
            messages=[
                {"recipient_id": conversation_id, "text": "Le PGE, texte du domaine.", "response": "utter_faq_pge"},
                {"recipient_id": conversation_id, "text": "Deuxième paragraphe.", "response": "utter_faq_pge"},
                {"recipient_id": conversation_id, "text": "Autre chose ?", "response": "utter_anything_else"},
            ],
            intent="faq_pge",
            confidence=0.97,
        )


async def test_an_answer_edited_by_an_admin_reaches_the_artisan_from_the_next_message(sqlite_url: str) -> None:
    await asyncio.to_thread(migrate, sqlite_url)
    database = create_engine(sqlite_url)
    answers = LiveAnswers(create_sessionmaker(database), ROOT, lambda: datetime(2020, 12, 3, 9, tzinfo=UTC))
    await answers.load()
    log = MessageLog(create_sessionmaker(database))
    router = ConversationRouter(log, ScriptedEngine(), max_message_chars=1000, concurrency=2, editors=(answers,))

    async def ask(message_id: str) -> list:
        stored = await log.store_inbound(Inbound("rest", "artisan", "c quoi le pge", message_id))
        return await router.submit(stored.message, stored.conversation.state)

    try:
        before = await ask("1")
        assert [m.text for m in before] == ["Le PGE, texte du domaine.", "Deuxième paragraphe.", "Autre chose ?"]
        buttons = [{"title": "Être rappelé", "payload": "/request_callback"}]
        await answers.save("utter_faq_pge", "Le PGE : nouveau texte.", buttons, date(2020, 12, 3), Actor.command_line())

        after = await ask("2")
        assert [m.text for m in after] == [
            "Le PGE : nouveau texte.\n\nMis à jour le 3 décembre 2020.",
            "Autre chose ?",
        ]
        assert after[0].buttons == buttons and after[0].payload["response"] == "utter_faq_pge"
        stored = [m for m in await log.transcript(after[0].conversation_id) if m.direction == "out"]
        assert [m.text for m in stored][-2:] == [m.text for m in after]
    finally:
        await router.close()
        await database.dispose()


async def test_rasa_names_the_response_of_each_message_and_the_live_text_replaces_it(
    aiohttp_client, stack, sqlite_url: str
) -> None:
    client = await aiohttp_client(create_app(replace(stack.settings, database_url=sqlite_url)))
    response = await client.post(WEBHOOK, json={"sender": "live-answer", "message": "c quoi le PGE", "message_id": "1"})
    [first, *_] = await response.json()
    assert "25" in first["text"]
    log = client.app[appkeys.MESSAGE_LOG]
    conversation = await log.find_conversation("rest", "live-answer")
    [out, *_] = [m for m in await log.transcript(conversation.id) if m.direction == "out"]
    assert out.payload["response"] == "utter_faq_pge"

    answers = client.app[appkeys.ANSWERS]
    await answers.save("utter_faq_pge", "PGE : texte modifié par la Chambre.", [], date(2020, 12, 3), Actor.command_line())
    response = await client.post(WEBHOOK, json={"sender": "live-answer", "message": "et le PGE ?", "message_id": "2"})
    replies = await response.json()
    assert replies[0]["text"] == "PGE : texte modifié par la Chambre.\n\nMis à jour le 3 décembre 2020."


def test_a_bubble_rasa_repeats_reaches_the_artisan_once_and_is_an_incident() -> None:
    fallback = {"text": "Désolé, je n'ai pas bien compris.", "buttons": [{"title": "Menu", "payload": "/help"}]}
    other = {"text": "Voici le menu."}
    kept, incident = screened(RasaReply(messages=[fallback, other, *[dict(fallback) for _ in range(8)]]))
    assert (kept, incident) == ([fallback, other], IncidentKind.REPEATED)


def test_a_turn_rasa_stopped_with_nothing_said_gets_one_apology() -> None:
    assert screened(RasaReply(messages=[], incident="circuit_breaker")) == (
        [{"text": replies.LOST_TRACK}],
        IncidentKind.CIRCUIT_BREAKER,
    )
    said = [{"text": "Bonjour !"}, {"text": "Bonjour !"}]
    assert screened(RasaReply(messages=said, incident="circuit_breaker")) == (
        [{"text": "Bonjour !"}],
        IncidentKind.CIRCUIT_BREAKER,
    )


def test_an_ordinary_answer_passes_untouched() -> None:
    said = [{"text": "Le PGE se demande à votre banque."}, {"image": "https://example.org/pge.png"}]
    assert screened(RasaReply(messages=said)) == (said, None)
    assert screened(RasaReply(messages=[])) == ([], None), "silence is an answer (a paused conversation)"
