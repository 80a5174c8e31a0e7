"""Every way a hand-off ends, on the whole stack with the real Rasa: after it, the bot answers as before.

For each ending (the adviser gives the conversation back, closes it, transfers it and the colleague closes it,
logs out; nobody takes it in time), the artisan's next two questions each get exactly the bot's one answer.
Rasa's tracker is resumed by the gateway at each ending; a resume that left Rasa unable to predict (issue 19)
answered nine identical "je n'ai pas compris" bubbles, then nothing. (One ending on Telegram and one on
WhatsApp: tests/stack/test_handoff_stack.py.)
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import aiohttp
import pytest

from bot.messaging.replies import ADVISER_GONE, CLOSED_BY_ADVISER, GIVEN_BACK, NOBODY_IN_TIME, TAKEN
from tests.stack.people import Adviser, account_id, add_adviser, answer, chat, conversation_of, history
from tests.stack.test_handoff_stack import NEXT_QUESTIONS
from tests.support.stack import Stack, start_stack, stop_stack

pytestmark = pytest.mark.stack

ASK_FOR_ADVISER = "je voudrais parler à un conseiller"


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


@pytest.mark.parametrize("action, told", [("give-back", GIVEN_BACK), ("close", CLOSED_BY_ADVISER)])
async def test_after_the_adviser_ends_it_the_bot_answers_the_next_two_questions(
    stack: Stack, action: str, told: str
) -> None:
    sender = f"{action}-{uuid.uuid4().hex[:8]}"
    adviser = await Adviser.login(stack, add_adviser(stack))
    try:
        async with aiohttp.ClientSession() as session:
            conversation_id = await handed_to(adviser, session, stack, sender)
            await adviser.act(conversation_id, action)
            assert (await history(session, stack, sender))[-1] == told
            await the_bot_answers_again(session, stack, sender)
            assert (await conversation_of(stack, "rest", sender)).state == "bot", "closed, then reopened by writing"
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
