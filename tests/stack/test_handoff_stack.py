"""The hand-off on the whole stack: an artisan asks for a person in their own words (Rasa understands it, the
handoff action queues the conversation and pauses Rasa), an adviser takes it through the console's API,
answers on the artisan's channel, gives it back, and the bot (resumed) answers the next message.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import aiohttp
import pytest
import yaml
from sqlalchemy import select

from bot.devstack import Stack, staff_login
from bot.fakes import telegram as tg
from bot.handoff import GIVEN_BACK, TAKEN
from bot.replies import HELD_FOR_ADVISER
from bot.settings import ROOT
from bot.storage import create_engine, create_sessionmaker
from bot.storage.models import Conversation

pytestmark = pytest.mark.stack

PASSWORD = "un mot de passe assez long"
PGE_ANSWER = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]["utter_faq_pge"][0]["text"]


def add_adviser(stack: Stack, role: str = "agent") -> str:
    email = f"conseiller-{uuid.uuid4().hex[:8]}@cma71.fr"
    subprocess.run(
        [sys.executable, "-m", "bot", "staff", "add", email, "--role", role, "--password-stdin"],
        cwd=ROOT,
        env=dict(os.environ, DATABASE_URL=stack.settings.database_url),
        input=PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
    return email


class Adviser:
    """An adviser's browser session, speaking to the console's JSON API."""

    def __init__(self, stack: Stack, session: aiohttp.ClientSession) -> None:
        self.stack, self.session, self.csrf = stack, session, ""

    @classmethod
    async def login(cls, stack: Stack, email: str) -> Adviser:
        session, csrf = await staff_login(stack.url, email, PASSWORD)
        adviser = cls(stack, session)
        adviser.csrf = csrf
        return adviser

    async def close(self) -> None:
        await self.session.close()

    async def queue(self) -> list[dict]:
        async with self.session.get(f"{self.stack.url}/staff/console/api/queue") as response:
            assert response.status == 200, await response.text()
            body = await response.json()
        return body["queue"] if isinstance(body, dict) else body

    async def act(self, conversation_id: str, action: str, **body: object) -> int:
        async with self.session.post(
            f"{self.stack.url}/staff/console/api/conversations/{conversation_id}/{action}",
            json=body,
            headers={"X-CSRF-Token": self.csrf},
        ) as response:
            assert response.status == 200, f"{action}: {response.status} {await response.text()}"
            return response.status


async def conversation_of(stack: Stack, channel: str, external_id: str) -> Conversation:
    engine = create_engine(stack.settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await session.scalar(
                select(Conversation).where(Conversation.channel == channel, Conversation.external_id == external_id)
            )
    finally:
        await engine.dispose()


async def chat(session: aiohttp.ClientSession, stack: Stack, sender: str, text: str) -> list[str]:
    async with session.post(f"{stack.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as response:
        assert response.status == 200, await response.text()
        return [reply.get("text", "") for reply in await response.json()]


async def history(session: aiohttp.ClientSession, stack: Stack, sender: str) -> list[str]:
    async with session.get(f"{stack.url}/webhooks/rest/history", params={"sender": sender}) as response:
        return [m["text"] for m in (await response.json())["messages"]]


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
            assert await chat(session, stack, sender, "c'est quoi le PGE ?") == [PGE_ANSWER], "Rasa was resumed"
            assert (await conversation_of(stack, "rest", sender)).state == "bot"
    finally:
        await adviser.close()


async def test_a_telegram_artisan_is_answered_by_an_adviser_on_telegram(stack: Stack, fake_telegram) -> None:
    import itertools
    import random

    chat_id = random.randrange(10**8, 10**9)
    update_ids = itertools.count(random.randrange(10**8, 2 * 10**8))
    adviser = await Adviser.login(stack, add_adviser(stack))

    async def say(session: aiohttp.ClientSession, text: str) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": stack.env["TELEGRAM_WEBHOOK_SECRET"]}
        update = tg.text_update(next(update_ids), chat_id, text)
        async with session.post(f"{stack.url}/webhooks/telegram/webhook", json=update, headers=headers) as response:
            assert response.status == 200

    def texts() -> list[str]:
        return fake_telegram.texts_to(chat_id)

    try:
        async with aiohttp.ClientSession() as session:
            await say(session, "un humain svp")
            await fake_telegram.until(lambda: any("conseiller" in t for t in texts()), 60)
            conversation = await conversation_of(stack, "telegram", str(chat_id))
            assert conversation.state == "waiting"

            await adviser.act(conversation.id, "take")
            await adviser.act(conversation.id, "reply", text="Bonjour, je regarde votre dossier.")
            await fake_telegram.until(lambda: "Bonjour, je regarde votre dossier." in texts(), 30)
            await adviser.act(conversation.id, "give-back")
            await fake_telegram.until(lambda: GIVEN_BACK in texts(), 30)

            before = len(texts())
            await say(session, "c'est quoi le PGE ?")
            await fake_telegram.until(lambda: len(texts()) > before, 60)
            await asyncio.sleep(1)  # a second bubble, if any, would be out by now
            assert texts()[before:] == [PGE_ANSWER]
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


async def test_a_whatsapp_artisan_is_answered_by_an_adviser_on_whatsapp(stack: Stack, fake_whatsapp) -> None:
    import random

    from bot.fakes import whatsapp as wa

    wa_id = f"3361{random.randrange(10**7):07d}"
    adviser = await Adviser.login(stack, add_adviser(stack))

    async def say(session: aiohttp.ClientSession, text: str) -> None:
        raw, headers = fake_whatsapp.signed(wa.text_message(wa_id, text))
        async with session.post(f"{stack.url}/webhooks/whatsapp/webhook", data=raw, headers=headers) as response:
            assert response.status == 200

    def texts() -> list[str]:
        return fake_whatsapp.texts_to(wa_id)

    try:
        async with aiohttp.ClientSession() as session:
            await say(session, "passez-moi quelqu'un")
            await fake_whatsapp.until(lambda: any("conseiller" in t for t in texts()), 60)
            conversation = await conversation_of(stack, "whatsapp", wa_id)
            assert conversation.state == "waiting"
            [row] = [r for r in await adviser.queue() if r["id"] == conversation.id]
            assert row["name"] == "Marie", "the name WhatsApp gives, for the adviser"

            await adviser.act(conversation.id, "take")
            await adviser.act(conversation.id, "reply", text="Bonjour Marie, je regarde votre dossier.")
            await fake_whatsapp.until(lambda: "Bonjour Marie, je regarde votre dossier." in texts(), 30)
            await adviser.act(conversation.id, "give-back")
            await fake_whatsapp.until(lambda: GIVEN_BACK in texts(), 30)
    finally:
        await adviser.close()
