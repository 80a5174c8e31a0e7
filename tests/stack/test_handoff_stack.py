"""The hand-off on the whole stack: an artisan asks for a person in their own words (Rasa understands it, the
handoff action queues the conversation and pauses Rasa), an adviser takes it through the console's API,
answers on the artisan's channel, gives it back or closes it, and the bot (resumed) answers the next questions,
one bubble each, on the web chat, Telegram and WhatsApp.
"""

from __future__ import annotations

import uuid

import aiohttp
import pytest

from bot.messaging.replies import CLOSED_BY_ADVISER, GIVEN_BACK, HELD_FOR_ADVISER, TAKEN
from tests.stack.people import (
    Adviser,
    Database,
    TelegramArtisan,
    WhatsAppArtisan,
    add_adviser,
    answer,
    chat,
    conversation_of,
    history,
)
from tests.support.stack import Stack

pytestmark = pytest.mark.stack

# Two questions the bot answers with one bubble each, asked after a hand-off ends.
NEXT_QUESTIONS = (
    ("c quoi le PGE ?", "utter_faq_pge"),
    ("chomage partiel pour mes salariés", "utter_faq_activite_partielle"),
)


async def the_bot_answers_again(artisan: TelegramArtisan | WhatsAppArtisan) -> None:
    for question, response in NEXT_QUESTIONS:
        assert await artisan.answers_to(question) == [answer(response)], question


async def test_a_web_chat_artisan_is_handed_to_an_adviser_and_back(stack: Stack) -> None:
    sender = f"handoff-{uuid.uuid4().hex[:8]}"
    adviser = await Adviser.login(stack, add_adviser(stack))
    try:
        async with aiohttp.ClientSession() as session:
            queued = " ".join(await chat(session, stack, sender, "je veux parler à un conseiller"))
            assert "conseiller" in queued and "continuer à écrire" in queued
            conversation = await conversation_of(stack, "rest", sender)
            assert conversation.state == "waiting"
            # While waiting: one acknowledgement, then silence; the adviser sees every message.
            assert await chat(session, stack, sender, "c'est pour mon PGE refusé") == [HELD_FOR_ADVISER]
            assert await chat(session, stack, sender, "la banque ne répond pas") == []
            [row] = [r for r in await adviser.queue() if r["id"] == conversation.id]
            assert row["state"] == "waiting" and row["channel"] == "rest" and row["reason"] == "asked"

            await adviser.act(conversation.id, "take")
            await adviser.act(conversation.id, "reply", text="Bonjour, ici Anne de la Chambre. Quelle banque ?")
            said = await history(session, stack, sender)
            assert said[-2:] == [TAKEN, "Bonjour, ici Anne de la Chambre. Quelle banque ?"]
            assert await chat(session, stack, sender, "le Crédit Agricole") == [], "the adviser answers, not the bot"

            await adviser.act(conversation.id, "give-back")
            assert (await history(session, stack, sender))[-1] == GIVEN_BACK
            assert await chat(session, stack, sender, "c'est quoi le PGE ?") == [answer("utter_faq_pge")], "Rasa was resumed"
            assert (await conversation_of(stack, "rest", sender)).state == "bot"
    finally:
        await adviser.close()


async def test_distress_gives_the_listening_line_at_once_and_goes_first(stack: Stack) -> None:
    calm, upset = f"calm-{uuid.uuid4().hex[:8]}", f"upset-{uuid.uuid4().hex[:8]}"
    adviser = await Adviser.login(stack, add_adviser(stack))
    try:
        async with aiohttp.ClientSession() as session:
            await chat(session, stack, calm, "je veux parler à un conseiller")
            said = " ".join(await chat(session, stack, upset, "je n'en peux plus je veux en finir"))
            assert "0 805 65 50 50" in said, "the listening line's number comes at once"
            ids = [(await conversation_of(stack, "rest", s)).id for s in (upset, calm)]
            queue = [r["id"] for r in await adviser.queue() if r["id"] in ids]
            assert queue == ids, "distress goes first in the queue"
            for conversation_id in ids:
                await adviser.act(conversation_id, "close")
    finally:
        await adviser.close()


@pytest.mark.parametrize(
    "channel, ending, told", [("telegram", "give-back", GIVEN_BACK), ("whatsapp", "close", CLOSED_BY_ADVISER)]
)
async def test_an_artisan_on_their_phone_is_answered_by_an_adviser_then_by_the_bot(
    request: pytest.FixtureRequest, stack: Stack, db: Database, session: aiohttp.ClientSession,
    channel: str, ending: str, told: str,
) -> None:
    if channel == "telegram":
        fake = request.getfixturevalue("fake_telegram")
        artisan: TelegramArtisan | WhatsAppArtisan = TelegramArtisan(session, stack, fake, db)
        external_id = str(artisan.chat_id)
    else:
        artisan = WhatsAppArtisan(session, stack, request.getfixturevalue("fake_whatsapp"), db)
        external_id = artisan.wa_id
    adviser = await Adviser.login(stack, add_adviser(stack))
    try:
        assert "conseiller" in await artisan.say("passez-moi quelqu'un")
        conversation = await conversation_of(stack, channel, external_id)
        assert conversation.state == "waiting"
        [row] = [r for r in await adviser.queue() if r["id"] == conversation.id]
        assert row["name"] == "Marie", "the name the platform gives, for the adviser"

        await adviser.act(conversation.id, "take")
        await adviser.act(conversation.id, "reply", text="Bonjour Marie, je regarde votre dossier.")
        await artisan.fake.until(lambda: artisan.texts()[-2:] == [TAKEN, "Bonjour Marie, je regarde votre dossier."], 30)
        await adviser.act(conversation.id, ending)
        await artisan.fake.until(lambda: artisan.texts()[-1:] == [told], 30)
        await the_bot_answers_again(artisan)
    finally:
        await adviser.close()
