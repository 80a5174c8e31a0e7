"""Fixtures of the report tests: the department's communes, and a world of artisans whose messages, callbacks,
pledges, barometer answers and initiatives are inserted through the models, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.settings import Settings
from bot.shared.communes import CommuneTable
from bot.shared.french import PARIS
from bot.storage.models import (
    ArtisanProfile,
    BarometerAnswer,
    CallbackRequest,
    Conversation,
    Initiative,
    InitiativeCommune,
    MaskPledge,
    Message,
    StaffAccount,
    StatusChange,
)

COMMUNES = CommuneTable.load(Settings().communes_file)
# In CA Le Grand Chalon: Chalon-sur-Saône, Givry, Mercurey; in CA Mâconnais Beaujolais Agglomération: Mâcon,
# Charnay-lès-Mâcon; elsewhere: Autun (CC du Grand Autunois Morvan), and 71131, in no EPCI.
CHALON, GIVRY, MERCUREY, MACON, CHARNAY, AUTUN, NO_EPCI = (
    "71076", "71221", "71294", "71270", "71105", "71014", "71131",
)
GRAND_CHALON = "247100589"


def paris(day: date, hour: int = 10) -> datetime:
    """A Paris wall-clock time on `day`, in UTC."""
    return datetime.combine(day, time(hour), PARIS).astimezone(UTC)


class World:
    """Artisans (one conversation each) and what they did, inserted straight through the models."""

    def __init__(self, sessionmaker: async_sessionmaker) -> None:
        self.sessionmaker = sessionmaker
        self.count = 0
        self.staff_id: int | None = None

    async def add(self, *rows: Any) -> None:
        async with self.sessionmaker() as session:
            session.add_all(rows)
            await session.commit()

    async def staff(self) -> int:
        if self.staff_id is None:
            async with self.sessionmaker() as session:
                account = StaffAccount(email="conseillere@cma-exemple.fr", role="agent", password_hash="-")
                session.add(account)
                await session.commit()
                self.staff_id = account.id
        return self.staff_id

    async def artisan(self, commune: str | None = None, trade: str | None = None) -> str:
        """A new conversation, with a profile when its commune or trade is known."""
        self.count += 1
        conversation = Conversation(id=f"conv{self.count:05d}", channel="telegram", external_id=str(self.count))
        rows: list[Any] = [conversation]
        if commune is not None or trade is not None:
            rows.append(ArtisanProfile(conversation_id=conversation.id, commune_code=commune, trade_category=trade))
        await self.add(*rows)
        return conversation.id

    async def says(self, conversation_id: str, at: datetime, *intents: str, author: str = "artisan",
                   direction: str = "in") -> None:
        await self.add(*(
            Message(conversation_id=conversation_id, direction=direction, channel="telegram", author=author,
                    text="…", intent=intent, status="done", created_at=at)
            for intent in intents
        ))

    async def callback(self, conversation_id: str, commune: str, created_at: datetime, *,
                       due_in: timedelta = timedelta(hours=24), called_after: timedelta | None = None,
                       to_status: str = "called_back", status: str | None = None) -> int:
        request = CallbackRequest(
            conversation_id=conversation_id, idempotency_key=f"k{created_at.timestamp()}", name="Marie Dupré",
            phone="+33612345678", trade="coiffeuse", commune_code=commune, commune_name="-", subject="faq_pge",
            preferred_time="morning", status=status or (to_status if called_after is not None else "new"),
            due_at=created_at + due_in, created_at=created_at,
        )
        await self.add(request)
        if called_after is not None:
            staff = await self.staff()
            await self.add(
                StatusChange(callback_id=request.id, account_id=staff, from_status="new", to_status="in_progress",
                             changed_at=created_at + called_after / 2),
                StatusChange(callback_id=request.id, account_id=staff, from_status="in_progress",
                             to_status=to_status, changed_at=created_at + called_after),
                # A later change does not move the call.
                StatusChange(callback_id=request.id, account_id=staff, from_status=to_status, to_status="closed",
                             changed_at=created_at + called_after + timedelta(days=3)),
            )
        return request.id

    async def pledge(self, conversation_id: str, commune: str, quantity: int, created_at: datetime, *,
                     collected_at: datetime | None = None, handed_over_at: datetime | None = None,
                     cancelled: bool = False) -> int:
        status = "collected" if collected_at else "pledged"
        status = "cancelled" if cancelled else "handed_over" if handed_over_at else status
        pledge = MaskPledge(
            conversation_id=conversation_id, idempotency_key=f"p{created_at.timestamp()}", quantity=quantity,
            mask_type="surgical", commune_code=commune, commune_name="-", delivery="drop_off",
            phone="+33385000000", status=status, handed_over_at=handed_over_at, created_at=created_at,
        )
        await self.add(pledge)
        staff = await self.staff()
        if collected_at is not None:
            await self.add(StatusChange(pledge_id=pledge.id, account_id=staff, from_status="pledged",
                                        to_status="collected", changed_at=collected_at))
        if handed_over_at is not None:
            await self.add(StatusChange(pledge_id=pledge.id, account_id=staff,
                                        from_status="collected" if collected_at else "pledged",
                                        to_status="handed_over", changed_at=handed_over_at + timedelta(hours=1)))
        return pledge.id

    async def answer(self, day: date, activity: str, need: str | None = None, trade: str | None = None,
                     commune: str | None = None) -> None:
        await self.add(BarometerAnswer(answered_on=day, activity=activity, need=need, trade_category=trade,
                                       commune_code=commune))

    async def initiative(self, conversation_id: str, communes: list[str], category: str, approved_at: datetime | None,
                         ends_on: date, status: str = "approved") -> None:
        initiative = Initiative(
            conversation_id=conversation_id, status=status, description="Je livre les courses des soignants.",
            category=category, audience="tous", phone="+33612345678", contact_consent_text="oui",
            contact_consent_at=approved_at or paris(date(2020, 4, 1)), ends_on=ends_on, approved_at=approved_at,
            communes=[InitiativeCommune(position=n, commune_code=c, commune_name="-") for n, c in enumerate(communes)],
        )
        await self.add(initiative)


@pytest.fixture
async def world(sessionmaker: async_sessionmaker) -> World:
    return World(sessionmaker)
