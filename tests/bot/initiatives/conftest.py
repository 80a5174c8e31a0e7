"""Fixtures of the initiative tests: artisans who write, a clock to move forward, the outbox's deliveries as a
list, and the initiatives on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.initiatives.moderation import Initiatives
from bot.initiatives.proposal import Proposal, check_proposal
from bot.settings import Settings
from bot.shared.communes import CommuneTable
from bot.storage.audit import Actor
from bot.storage.message_log import Inbound, MessageLog
from bot.storage.models import Direction, Initiative, Message, StaffAccount
from tests.bot.conftest import FakeClock

COMMUNES = CommuneTable.load(Settings().communes_file)
# The first staff account of the fresh database (the `world` fixture creates it).
ADVISER = Actor(1, "conseillere@cma-exemple.fr")
CONSENT = "J’accepte que mon téléphone et mon site soient publiés avec mon initiative."
# Mâcon, and around it: Sancé shares its postcode, Charnay-lès-Mâcon its agglomeration, Cluny its
# arrondissement; Autun is elsewhere in the department.
MACON, SANCE, CHARNAY, CLUNY, AUTUN = "71270", "71497", "71105", "71137", "71014"


def body(**changes: Any) -> dict[str, Any]:
    """A proposal as the action server sends it."""
    return {
        "conversation_id": "c1",
        "description": "Je livre les courses des soignants le soir, gratuitement.",
        "category": "courses",
        "audience": "soignants",
        "commune_codes": [MACON],
        "phone": "+33612345678",
        "website": None,
        "contact_consent": True,
        "consent_text": CONSENT,
        "ends_on": "2020-06-30",
        **changes,
    }


def proposal(**changes: Any) -> Proposal:
    return check_proposal(body(**changes), COMMUNES, date(2020, 4, 6))


class World:
    """Artisans in conversation, their initiatives, and what the outbox was given to send them."""

    def __init__(self, sessionmaker: async_sessionmaker) -> None:
        self.sessionmaker = sessionmaker
        self.clock = FakeClock()
        self.log = MessageLog(sessionmaker)
        self.sent: list[Message] = []
        self.initiatives = Initiatives(sessionmaker, self.log, self.sent.extend, COMMUNES, self.clock)

    async def artisan(self, chat: str = "111", channel: str = "telegram") -> str:
        stored = await self.log.store_inbound(Inbound(channel, chat, "je veux aider"))
        return stored.conversation.id

    async def proposed(self, conversation_id: str | None = None, **changes: Any) -> Initiative:
        conversation_id = conversation_id or await self.artisan()
        return await self.initiatives.propose(conversation_id, proposal(**changes))

    async def approved(self, conversation_id: str | None = None, **changes: Any) -> Initiative:
        initiative = await self.proposed(conversation_id, **changes)
        approved = await self.initiatives.approve(initiative.id, ADVISER)
        self.sent.clear()
        return approved

    async def told(self, conversation_id: str) -> list[dict[str, Any]]:
        """What the bot said to this artisan, outside any answer to their messages: text and buttons."""
        async with self.sessionmaker() as session:
            messages = await session.scalars(
                select(Message).where(
                    Message.conversation_id == conversation_id, Message.direction == Direction.OUT
                ).order_by(Message.id)
            )
            return [{"text": m.text, "buttons": m.buttons or []} for m in messages]

    async def status(self, initiative_id: int) -> str:
        found = await self.initiatives.get(initiative_id)
        assert found is not None
        return found[0].status

    async def actions(self, initiative_id: int) -> list[tuple[str, str, str | None]]:
        found = await self.initiatives.get(initiative_id)
        assert found is not None
        return [(e.actor, e.action, e.detail) for e in found[1]]


@pytest.fixture
async def world(sessionmaker: async_sessionmaker) -> World:
    async with sessionmaker() as session:
        session.add(StaffAccount(email=ADVISER.name, role="agent", password_hash="-"))
        await session.commit()
    return World(sessionmaker)
