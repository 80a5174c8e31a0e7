"""The people of the whole-stack tests, and what they see: artisans on the web chat, Telegram and WhatsApp (real
payloads posted to the gateway's webhooks, replies read at the fake platforms), advisers in the console (its
JSON API, logged in), and the stack's database read as an operator would."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator

import aiohttp
import yaml
from sqlalchemy import select

from bot.settings import ROOT
from bot.storage import Direction, MessageStatus, create_engine, create_sessionmaker
from bot.storage.models import CallbackRequest, Conversation, Message, StaffAccount
from tests.support.fakes import telegram as tg
from tests.support.fakes import whatsapp as wa
from tests.support.stack import Stack, staff_login

TELEGRAM_WEBHOOK = "/webhooks/telegram/webhook"
WHATSAPP_WEBHOOK = "/webhooks/whatsapp/webhook"
PASSWORD = "un mot de passe assez long"
# Update ids are unique per bot: one counter for the session, started anywhere (next_update_id()).
_update_ids: Iterator[int] = itertools.count(random.randrange(10**6, 10**8))


def next_update_id() -> int:
    return next(_update_ids)


RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


def answer(response: str) -> str:
    """The text of a domain response, as the bot says it (its first variation)."""
    return RESPONSES[response][0]["text"]


# --- The web chat -------------------------------------------------------------------------------------------


async def chat(session: aiohttp.ClientSession, stack: Stack, sender: str, text: str) -> list[str]:
    """The artisan writes on the web chat: the texts of the replies that come with the answer."""
    async with session.post(f"{stack.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as response:
        assert response.status == 200, await response.text()
        return [reply.get("text", "") for reply in await response.json()]


async def history(session: aiohttp.ClientSession, stack: Stack, sender: str) -> list[str]:
    """Every text of the web chat conversation so far, as the page shows it."""
    async with session.get(f"{stack.url}/webhooks/rest/history", params={"sender": sender}) as response:
        return [m["text"] for m in (await response.json())["messages"]]


# --- Telegram and WhatsApp -------------------------------------------------------------------------------------


class Database:
    """The stack's own database, read the way an operator would."""

    def __init__(self, stack: Stack) -> None:
        self._engine = create_engine(stack.settings.database_url)
        self._sessionmaker = create_sessionmaker(self._engine)

    async def close(self) -> None:
        await self._engine.dispose()

    async def conversation(self, channel: str, external_id: str) -> Conversation | None:
        async with self._sessionmaker() as session:
            return await session.scalar(
                select(Conversation).where(Conversation.channel == channel, Conversation.external_id == external_id)
            )

    async def messages(self, channel: str, external_id: str) -> list[Message]:
        async with self._sessionmaker() as session:
            rows = await session.scalars(
                select(Message)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Conversation.channel == channel, Conversation.external_id == external_id)
                .order_by(Message.id)
            )
            return list(rows)

    async def settled(self, channel: str, external_id: str, inbound: int) -> bool:
        """True once `inbound` artisan messages are stored and answered, and every reply has left the outbox."""
        messages = await self.messages(channel, external_id)
        received = [m for m in messages if m.direction == Direction.IN]
        return (
            len(received) >= inbound
            and all(m.status != MessageStatus.RECEIVED for m in received)
            and all(m.status != MessageStatus.PENDING for m in messages if m.direction == Direction.OUT)
        )

    async def callbacks(self, channel: str, external_id: str) -> list[CallbackRequest]:
        async with self._sessionmaker() as session:
            rows = await session.scalars(
                select(CallbackRequest)
                .join(Conversation, Conversation.id == CallbackRequest.conversation_id)
                .where(Conversation.channel == channel, Conversation.external_id == external_id)
            )
            return list(rows)


async def until(predicate, timeout: float = 60, what: str = "the condition") -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


class TelegramArtisan:
    """An artisan on Telegram: each update goes to the gateway's webhook as Telegram would post it."""

    def __init__(self, session: aiohttp.ClientSession, stack: Stack, fake: tg.FakeTelegram, db: Database) -> None:
        self.session, self.stack, self.fake, self.db = session, stack, fake, db
        self.chat_id = random.randrange(10**8, 10**9)
        self.sent = 0

    async def post(self, update: dict, secret: str | None = "") -> int:
        """Post as Telegram would (`secret` "" for the stack's own secret), or without one (None)."""
        secret = self.stack.env["TELEGRAM_WEBHOOK_SECRET"] if secret == "" else secret
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with self.session.post(f"{self.stack.url}{TELEGRAM_WEBHOOK}", json=update, headers=headers) as response:
            return response.status

    async def deliver(self, update: dict) -> list[dict]:
        """Post one update (a new message), wait until it is answered and sent; what reached the artisan."""
        before = len(self.replies())
        assert await self.post(update) == 200
        self.sent += 1
        await until(lambda: self.db.settled("telegram", str(self.chat_id), self.sent), what="the answer")
        return self.replies()[before:]

    async def answers_to(self, text: str) -> list[str]:
        """The bubbles the artisan gets for `text`, once it is answered and every reply sent."""
        return [r["text"] for r in await self.deliver(tg.text_update(next_update_id(), self.chat_id, text))]

    async def say(self, text: str) -> str:
        return "\n".join(await self.answers_to(text))

    async def press(self, title: str) -> str:
        """Press the inline button `title` of the last message that had buttons."""
        keyboards = [r["reply_markup"] for r in self.replies() if (r.get("reply_markup") or {}).get("inline_keyboard")]
        assert keyboards, "no inline keyboard was sent"
        buttons = [button for row in keyboards[-1]["inline_keyboard"] for button in row]
        [button] = [b for b in buttons if b["text"] == title] or [None]
        assert button, f"no button {title!r} among {[b['text'] for b in buttons]}"
        update = tg.callback_update(next_update_id(), self.chat_id, button["callback_data"])
        return "\n".join(r["text"] for r in await self.deliver(update))

    def replies(self) -> list[dict]:
        return [m for m in self.fake.sent if str(m.get("chat_id")) == str(self.chat_id) and m.get("text")]

    def texts(self) -> list[str]:
        """Every text the artisan received, in order (an adviser's too)."""
        return [r["text"] for r in self.replies()]


class WhatsAppArtisan:
    """An artisan on WhatsApp: each message goes to the gateway's webhook signed as Meta signs it."""

    def __init__(self, session: aiohttp.ClientSession, stack: Stack, fake: wa.FakeWhatsApp, db: Database) -> None:
        self.session, self.stack, self.fake, self.db = session, stack, fake, db
        self.wa_id = f"3361{random.randrange(10**7):07d}"  # a French mobile (06 1x xx xx xx)
        self.sent = 0

    async def post(self, body: dict | bytes, headers: dict[str, str] | None = None) -> int:
        raw, signed_headers = self.fake.signed(body)
        async with self.session.post(
            f"{self.stack.url}{WHATSAPP_WEBHOOK}",
            data=raw,
            headers={"Content-Type": "application/json", **(signed_headers if headers is None else headers)},
        ) as response:
            return response.status

    async def deliver(self, body: dict) -> list[dict]:
        before = len(self.replies())
        assert await self.post(body) == 200
        self.sent += 1
        await until(lambda: self.db.settled("whatsapp", self.wa_id, self.sent), what="the answer")
        return self.replies()[before:]

    async def answers_to(self, text: str) -> list[str]:
        """The bubbles the artisan gets for `text`, once it is answered and every reply sent."""
        return [text_of(r) for r in await self.deliver(wa.text_message(self.wa_id, text))]

    async def say(self, text: str) -> str:
        return "\n".join(await self.answers_to(text))

    async def press(self, title: str) -> str:
        """Tap the reply button or list row `title` of the last interactive message."""
        interactive = [r["interactive"] for r in self.replies() if r.get("type") == "interactive"]
        assert interactive, "no interactive message was sent"
        action = interactive[-1]["action"]
        choices = [(b["reply"]["id"], b["reply"]["title"]) for b in action.get("buttons", [])] + [
            (row["id"], row["title"]) for section in action.get("sections", []) for row in section["rows"]
        ]
        [choice] = [c for c in choices if c[1] == title] or [None]
        assert choice, f"no choice {title!r} among {[c[1] for c in choices]}"
        return "\n".join(text_of(r) for r in await self.deliver(wa.button_reply(self.wa_id, *choice)))

    def replies(self) -> list[dict]:
        return [m for m in self.fake.sent if m.get("to") == self.wa_id]

    def texts(self) -> list[str]:
        """Every text the artisan received, in order (an adviser's too)."""
        return [text_of(r) for r in self.replies()]


def text_of(sent: dict) -> str:
    if sent.get("type") == "text":
        return sent["text"]["body"]
    if sent.get("type") == "interactive":
        return sent["interactive"]["body"]["text"]
    return ""


# --- Advisers --------------------------------------------------------------------------------------------------


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
    """The conversation as stored now."""
    engine = create_engine(stack.settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await session.scalar(
                select(Conversation).where(Conversation.channel == channel, Conversation.external_id == external_id)
            )
    finally:
        await engine.dispose()


async def account_id(stack: Stack, email: str) -> int:
    """The staff account's id (what a transfer names)."""
    engine = create_engine(stack.settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await session.scalar(select(StaffAccount.id).where(StaffAccount.email == email))
    finally:
        await engine.dispose()
