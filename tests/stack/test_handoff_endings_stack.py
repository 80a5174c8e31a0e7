"""Every way a hand-off ends, on the whole stack with the real Rasa: after it, the bot answers as before.

For each ending (the adviser gives the conversation back, closes it, transfers it and the colleague closes it,
logs out; nobody takes it in time), the artisan's next two questions each get exactly the bot's one answer.
Rasa's tracker is resumed by the gateway at each ending; a resume that left Rasa unable to predict (issue 19)
answered nine identical "je n'ai pas compris" bubbles, then nothing.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from collections.abc import Iterator

import aiohttp
import pytest
import yaml
from sqlalchemy import select

from bot.devstack import Stack, start_stack, stop_stack
from bot.fakes import telegram as tg
from bot.fakes import whatsapp as wa
from bot.handoff import ADVISER_GONE, CLOSED_BY_ADVISER, GIVEN_BACK, NOBODY_IN_TIME, TAKEN
from bot.settings import ROOT
from bot.storage import create_engine, create_sessionmaker
from bot.storage.models import StaffAccount
from tests.stack.test_handoff_stack import Adviser, add_adviser, chat, conversation_of, history

pytestmark = pytest.mark.stack

RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
# Two questions the bot answers with one bubble each, asked after every ending.
NEXT_QUESTIONS = (
    ("c quoi le PGE ?", "utter_faq_pge"),
    ("chomage partiel pour mes salariés", "utter_faq_activite_partielle"),
)
ASK_FOR_ADVISER = "je voudrais parler à un conseiller"


def answer(response: str) -> str:
    return RESPONSES[response][0]["text"]


async def the_bot_answers_again(session: aiohttp.ClientSession, stack: Stack, sender: str) -> None:
    for question, response in NEXT_QUESTIONS:
        assert await chat(session, stack, sender, question) == [answer(response)], question


async def handed_to(adviser: Adviser, session: aiohttp.ClientSession, stack: Stack, sender: str) -> str:
    """The artisan asks for an adviser, who takes the conversation and answers once: its id."""
    await chat(session, stack, sender, ASK_FOR_ADVISER)
    conversation = await conversation_of(stack, "rest", sender)
    assert conversation.state == "waiting"
    await adviser.act(conversation.id, "take")
    await adviser.act(conversation.id, "reply", text="Bonjour, je regarde votre dossier.")
    assert (await history(session, stack, sender))[-2:] == [TAKEN, "Bonjour, je regarde votre dossier."]
    return conversation.id


async def account_id(stack: Stack, email: str) -> int:
    engine = create_engine(stack.settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await session.scalar(select(StaffAccount.id).where(StaffAccount.email == email))
    finally:
        await engine.dispose()


async def test_after_give_back_the_bot_answers_the_next_two_questions(stack: Stack) -> None:
    sender = f"give-back-{uuid.uuid4().hex[:8]}"
    adviser = await Adviser.login(stack, add_adviser(stack))
    try:
        async with aiohttp.ClientSession() as session:
            conversation_id = await handed_to(adviser, session, stack, sender)
            await adviser.act(conversation_id, "give-back")
            assert (await history(session, stack, sender))[-1] == GIVEN_BACK
            await the_bot_answers_again(session, stack, sender)
            assert (await conversation_of(stack, "rest", sender)).state == "bot"
    finally:
        await adviser.close()


async def test_after_close_the_bot_answers_the_next_two_questions(stack: Stack) -> None:
    sender = f"close-{uuid.uuid4().hex[:8]}"
    adviser = await Adviser.login(stack, add_adviser(stack))
    try:
        async with aiohttp.ClientSession() as session:
            conversation_id = await handed_to(adviser, session, stack, sender)
            await adviser.act(conversation_id, "close")
            assert (await history(session, stack, sender))[-1] == CLOSED_BY_ADVISER
            assert (await conversation_of(stack, "rest", sender)).state == "closed"
            await the_bot_answers_again(session, stack, sender)
            assert (await conversation_of(stack, "rest", sender)).state == "bot", "the artisan wrote: reopened"
    finally:
        await adviser.close()


async def test_after_a_transfer_then_close_the_bot_answers_the_next_two_questions(stack: Stack) -> None:
    sender = f"transfer-{uuid.uuid4().hex[:8]}"
    colleague_email = add_adviser(stack)
    first, colleague = await Adviser.login(stack, add_adviser(stack)), await Adviser.login(stack, colleague_email)
    try:
        async with aiohttp.ClientSession() as session:
            conversation_id = await handed_to(first, session, stack, sender)
            await first.act(conversation_id, "transfer", account_id=await account_id(stack, colleague_email))
            await colleague.act(conversation_id, "reply", text="Je prends la suite de ma collègue.")
            await colleague.act(conversation_id, "close")
            assert (await history(session, stack, sender))[-1] == CLOSED_BY_ADVISER
            await the_bot_answers_again(session, stack, sender)
    finally:
        await first.close()
        await colleague.close()


async def test_when_the_adviser_logs_out_the_bot_takes_the_conversation_back(stack: Stack) -> None:
    sender = f"logout-{uuid.uuid4().hex[:8]}"
    adviser = await Adviser.login(stack, add_adviser(stack))
    try:
        async with aiohttp.ClientSession() as session:
            conversation_id = await handed_to(adviser, session, stack, sender)
            async with adviser.session.post(
                f"{stack.url}/staff/logout", data={"csrf_token": adviser.csrf}, allow_redirects=False
            ) as response:
                assert response.status == 303
            assert (await history(session, stack, sender))[-1] == ADVISER_GONE
            conversation = await conversation_of(stack, "rest", sender)
            assert conversation.id == conversation_id and conversation.state == "bot"
            await the_bot_answers_again(session, stack, sender)
    finally:
        await adviser.close()


async def test_a_misunderstood_message_gets_one_bubble_and_the_next_question_its_answer(stack: Stack) -> None:
    sender = f"fallback-{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession() as session:
        assert await chat(session, stack, sender, "hmm ok et donc") == [answer("utter_fallback")]
        await the_bot_answers_again(session, stack, sender)


_update_ids: Iterator[int] = itertools.count(random.randrange(3 * 10**8, 4 * 10**8))


async def test_on_telegram_after_give_back_the_bot_answers_the_next_two_questions(stack: Stack, fake_telegram) -> None:
    chat_id = random.randrange(10**9, 2 * 10**9)
    adviser = await Adviser.login(stack, add_adviser(stack))
    headers = {"X-Telegram-Bot-Api-Secret-Token": stack.env["TELEGRAM_WEBHOOK_SECRET"]}

    async def say(session: aiohttp.ClientSession, text: str) -> None:
        update = tg.text_update(next(_update_ids), chat_id, text)
        async with session.post(f"{stack.url}/webhooks/telegram/webhook", json=update, headers=headers) as response:
            assert response.status == 200

    def texts() -> list[str]:
        return fake_telegram.texts_to(chat_id)

    try:
        async with aiohttp.ClientSession() as session:
            await say(session, ASK_FOR_ADVISER)
            await fake_telegram.until(lambda: any("conseiller" in t for t in texts()), 60)
            conversation = await conversation_of(stack, "telegram", str(chat_id))
            await adviser.act(conversation.id, "take")
            await adviser.act(conversation.id, "give-back")
            await fake_telegram.until(lambda: GIVEN_BACK in texts(), 30)
            for question, response in NEXT_QUESTIONS:
                before = len(texts())
                await say(session, question)
                await fake_telegram.until(lambda: len(texts()) > before, 60)
                await asyncio.sleep(1)  # a second bubble, if any, would be out by now
                assert texts()[before:] == [answer(response)], question
    finally:
        await adviser.close()


async def test_on_whatsapp_after_close_the_bot_answers_the_next_two_questions(stack: Stack, fake_whatsapp) -> None:
    wa_id = f"3362{random.randrange(10**7):07d}"
    adviser = await Adviser.login(stack, add_adviser(stack))

    async def say(session: aiohttp.ClientSession, text: str) -> None:
        raw, headers = fake_whatsapp.signed(wa.text_message(wa_id, text))
        async with session.post(f"{stack.url}/webhooks/whatsapp/webhook", data=raw, headers=headers) as response:
            assert response.status == 200

    def texts() -> list[str]:
        return fake_whatsapp.texts_to(wa_id)

    try:
        async with aiohttp.ClientSession() as session:
            await say(session, ASK_FOR_ADVISER)
            await fake_whatsapp.until(lambda: any("conseiller" in t for t in texts()), 60)
            conversation = await conversation_of(stack, "whatsapp", wa_id)
            await adviser.act(conversation.id, "take")
            await adviser.act(conversation.id, "close")
            await fake_whatsapp.until(lambda: CLOSED_BY_ADVISER in texts(), 30)
            for question, response in NEXT_QUESTIONS:
                before = len(texts())
                await say(session, question)
                await fake_whatsapp.until(lambda: len(texts()) > before, 60)
                await asyncio.sleep(1)
                assert texts()[before:] == [answer(response)], question
    finally:
        await adviser.close()


# --- Nobody takes it in time: a stack of its own, where a conversation waits at most a minute ----------------

MAX_WAIT_SECONDS = 60


@pytest.fixture(scope="module")
def short_wait_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("short-wait")
    env = {
        "ADVISER_HOURS": "mon-sun 00:00-24:00",
        "HANDOFF_MAX_WAIT_MINUTES": str(MAX_WAIT_SECONDS // 60),
        "HANDOFF_CHECK_SECONDS": "1",
    }
    running = start_stack(tmp, f"sqlite:///{tmp / 'crisisbot.db'}", env)
    yield running
    stop_stack(running)


async def test_after_the_wait_expires_the_bot_answers_and_a_typed_yes_takes_the_callback_offered(
    short_wait_stack: Stack,
) -> None:
    stack = short_wait_stack
    asks, accepts = f"expiry-{uuid.uuid4().hex[:8]}", f"expiry-yes-{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession() as session:
        for sender in (asks, accepts):
            await chat(session, stack, sender, ASK_FOR_ADVISER)
            assert (await conversation_of(stack, "rest", sender)).state == "waiting"
        deadline = time.monotonic() + MAX_WAIT_SECONDS + 30
        for sender in (asks, accepts):
            while (await history(session, stack, sender))[-1] != NOBODY_IN_TIME:
                assert time.monotonic() < deadline, "the wait never expired"
                await asyncio.sleep(1)
            assert (await conversation_of(stack, "rest", sender)).state == "bot"

        await the_bot_answers_again(session, stack, asks)
        # "Voulez-vous qu'un conseiller vous rappelle ?": a typed yes, not only the button, starts the form.
        assert await chat(session, stack, accepts, "oui") == [answer("utter_ask_caller_name")]
        assert await chat(session, stack, accepts, "Karim Benali") == [answer("utter_ask_phone")]
