"""Two advisers in real browsers (headless Chromium) take over a Telegram artisan's conversation, on the whole stack.

The artisan writes through the gateway's Telegram webhook; the conversation is queued through the internal API
as the action server's handoff action does; the advisers work in /staff/console; what the artisan reads is what
reached the fake Telegram.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import re
import subprocess
import sys

import aiohttp
import pytest
from playwright.async_api import Page, async_playwright, expect
from sqlalchemy import select

from bot.messaging.replies import GIVEN_BACK, TAKEN
from bot.settings import ROOT
from bot.storage import Direction, MessageStatus, create_engine, create_sessionmaker
from bot.storage.models import Conversation, Message
from tests.conftest import CHROMIUM_ARGS, chromium_path
from tests.support.fakes import telegram as tg
from tests.support.stack import Stack

pytestmark = pytest.mark.stack

PASSWORD = "correct horse battery staple"
REPLY = "Bonjour, je regarde votre dossier."
_update_ids = itertools.count(random.randrange(10**8, 10**9))


def add_adviser(stack: Stack, email: str) -> None:
    """`crisisbot staff add`, as an admin would, against the stack's database."""
    env = {**os.environ, "DATABASE_URL": stack.settings.database_url}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "staff", "add", email, "--role", "agent", "--password-stdin"],
        input=PASSWORD + "\n", env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr


class Artisan:
    """An artisan on Telegram, and the stack's database read as an operator would."""

    def __init__(self, session: aiohttp.ClientSession, stack: Stack, fake: tg.FakeTelegram) -> None:
        self.session, self.stack, self.fake = session, stack, fake
        self.chat_id = random.randrange(10**8, 10**9)
        self.first_name = f"Gisèle{self.chat_id % 10000}"
        self.engine = create_engine(stack.settings.database_url)
        self.sessionmaker = create_sessionmaker(self.engine)
        self.sent = 0

    async def say(self, text: str) -> None:
        update = tg.text_update(next(_update_ids), self.chat_id, text, first_name=self.first_name)
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.stack.env["TELEGRAM_WEBHOOK_SECRET"]}
        async with self.session.post(f"{self.stack.url}/webhooks/telegram/webhook", json=update, headers=headers) as r:
            assert r.status == 200
        self.sent += 1
        await until(self.settled, "the artisan's message to be answered and sent")

    async def settled(self) -> bool:
        async with self.sessionmaker() as session:
            messages = list(
                await session.scalars(
                    select(Message)
                    .join(Conversation, Conversation.id == Message.conversation_id)
                    .where(Conversation.channel == "telegram", Conversation.external_id == str(self.chat_id))
                )
            )
        received = [m for m in messages if m.direction == Direction.IN]
        return len(received) >= self.sent and all(m.status != MessageStatus.RECEIVED for m in received) and all(
            m.status != MessageStatus.PENDING for m in messages if m.direction == Direction.OUT
        )

    async def conversation_id(self) -> str:
        async with self.sessionmaker() as session:
            return await session.scalar(
                select(Conversation.id).where(
                    Conversation.channel == "telegram", Conversation.external_id == str(self.chat_id)
                )
            )

    def reads(self) -> list[str]:
        return self.fake.texts_to(self.chat_id)


async def until(predicate, what: str, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def log_in(page: Page, stack: Stack, email: str) -> None:
    await page.goto(f"{stack.url}/staff/login?next=/staff/console")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("button:has-text('Se connecter')")
    await expect(page).to_have_url(f"{stack.url}/staff/console")
    await expect(page.locator("#live-status")).to_have_text("En direct")


async def test_two_advisers_race_for_a_telegram_artisan_and_one_answers_then_gives_back(stack, fake_telegram) -> None:
    tag = random.randrange(10**6)
    emails = [f"conseiller.a.{tag}@cma-exemple.fr", f"conseiller.b.{tag}@cma-exemple.fr"]
    for email in emails:
        add_adviser(stack, email)

    async with aiohttp.ClientSession() as session, async_playwright() as playwright:
        artisan = Artisan(session, stack, fake_telegram)
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            pages = [await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page() for _ in emails]
            errors: list[str] = []
            for page in pages:
                page.on("pageerror", lambda exc: errors.append(str(exc)))
            await asyncio.gather(*(log_in(page, stack, email) for page, email in zip(pages, emails)))

            # The artisan writes; then the handoff action queues the conversation (through the internal API).
            await artisan.say("bonjour")
            conversation_id = await artisan.conversation_id()
            async with session.post(
                f"{stack.url}/internal/conversations/{conversation_id}/handoff",
                json={"reason": "asked"},
                headers={"Authorization": f"Bearer {stack.settings.engine_token}"},
            ) as response:
                assert response.status == 200 and (await response.json())["outcome"] == "queued"

            # Both consoles show it without a reload, and both advisers open it.
            for page in pages:
                row = page.locator("#queue-waiting .queue-row", has_text=artisan.first_name)
                await expect(row).to_contain_text("Telegram")
                await expect(row).to_contain_text("Demande un conseiller")
                await expect(row.locator(".queue-timer")).to_contain_text("Attend depuis")
                await row.locator("button").click()
                await expect(page.locator("#take")).to_be_visible()

            # Both click "Prendre" at the same moment: exactly one gets it.
            await asyncio.gather(*(page.evaluate("document.getElementById('take').click()") for page in pages))
            error_boxes = [page.locator("#console-error") for page in pages]
            await expect(pages[0].locator("#conversation-state")).to_contain_text("En cours avec")
            await expect(pages[1].locator("#conversation-state")).to_contain_text("En cours avec")
            late = [i for i, box in enumerate(error_boxes) if await box.is_visible()]
            assert len(late) == 1, "exactly one adviser is too late"
            loser = late[0]
            winner = 1 - loser
            await expect(error_boxes[loser]).to_have_text(f"Trop tard : {emails[winner]} a déjà pris cette conversation.")
            a = pages[winner]
            await expect(a.locator("#conversation-state")).to_have_text("En cours avec vous")
            await expect(pages[loser].locator("#reply-form")).to_be_hidden()
            await fake_telegram.until(lambda: TAKEN in artisan.reads())

            # The winner answers (Enter sends): it reaches the artisan's Telegram, and the console says so.
            await a.fill("#reply", REPLY)
            await a.press("#reply", "Enter")
            await fake_telegram.until(lambda: REPLY in artisan.reads())
            mine = a.locator("#transcript .msg.agent", has_text=REPLY)
            await expect(mine.locator(".delivery")).to_have_text(re.compile("envoyé", re.IGNORECASE))
            await expect(pages[loser].locator("#transcript .msg.agent")).to_contain_text(REPLY)  # live on B too

            # Back to the bot: the artisan is told, and the bot answers the next question.
            await a.click("#give-back")
            await expect(a.locator("#conversation-state")).to_contain_text("Le bot répond")
            await expect(a.locator("#queue-taken .queue-row", has_text=artisan.first_name)).to_have_count(0)
            await fake_telegram.until(lambda: GIVEN_BACK in artisan.reads())
            before = len(artisan.reads())
            await artisan.say("c'est quoi le PGE ?")
            answer = "\n".join(artisan.reads()[before:])
            assert "PGE" in answer or "Prêt garanti" in answer, answer
            assert errors == [], errors
        finally:
            await browser.close()
            await artisan.engine.dispose()
