"""The `world` of the inbox's and intents' tests: a database (SQLite and PostgreSQL) where artisans wrote to the bot,
an admin, and a clock at 23:30 in Paris."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.retrain.inbox import Inbox
from bot.retrain.intents import AdminIntents
from bot.settings import ROOT, Settings
from bot.storage import create_engine, create_sessionmaker, migrate
from bot.storage.audit import Actor
from bot.storage.message_log import Inbound, MessageLog
from bot.storage.models import AdminAuditEvent, HandoffEvent, Message, StaffAccount, utcnow

NOW = datetime(2020, 4, 6, 21, 30, tzinfo=UTC)  # 23:30 in Paris: already the 6th there, still the 6th in UTC


class World:
    """A database with an Inbox on it, and artisans who write to the bot."""

    def __init__(self, inbox: Inbox, intents: AdminIntents, log: MessageLog, sessionmaker, admin: Actor) -> None:
        self.inbox, self.intents, self.log, self.sessionmaker, self.admin = inbox, intents, log, sessionmaker, admin

    async def say(
        self, text: str, intent: str | None = "faq_pge", confidence: float | None = 0.95, *,
        artisan: str = "a", channel: str = "telegram", payload: dict | None = None, response: str = "utter_faq_pge",
    ) -> int:
        """An artisan's message, answered by the bot with this intent and confidence (and this response); its id."""
        stored = await self.log.store_inbound(Inbound(channel, artisan, text, payload=payload))
        answer = [{"text": "Réponse du bot", "response": response}]
        await self.log.record_answer(stored.message, answer, intent=intent, confidence=confidence)
        return stored.message.id

    async def hand_off(self, artisan: str = "a", channel: str = "telegram") -> None:
        """The artisan asks for an adviser: the request message, then the hand-off's event."""
        asked = await self.say("je veux parler à un conseiller", "human_handoff", 0.98, artisan=artisan, channel=channel)
        async with self.sessionmaker() as session:
            conversation_id = (await session.get(Message, asked)).conversation_id
            session.add(HandoffEvent(conversation_id=conversation_id, action="requested", detail="asked", at=utcnow()))
            await session.commit()

    async def count(self, model) -> int:
        async with self.sessionmaker() as session:
            return await session.scalar(select(func.count()).select_from(model))

    async def audit(self) -> list[tuple[str, str | None, str | None, str]]:
        async with self.sessionmaker() as session:
            rows = await session.scalars(select(AdminAuditEvent).order_by(AdminAuditEvent.id))
            return [(e.action, e.target, e.detail, e.actor) for e in rows]


@pytest.fixture
async def world(database_url: str):
    await asyncio.to_thread(migrate, database_url)
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    settings = replace(Settings(), database_url=database_url, project_dir=ROOT, clock=lambda: NOW)
    async with sessionmaker() as session:
        account = StaffAccount(email="chef@cma71.fr", role="admin", password_hash="x")
        session.add(account)
        await session.commit()
    admin = Actor(account.id, account.email)
    yield World(Inbox(sessionmaker, settings), AdminIntents(sessionmaker, settings), MessageLog(sessionmaker), sessionmaker, admin)
    await engine.dispose()
