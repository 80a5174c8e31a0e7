"""This module contains InitiativeStore, what Initiatives (bot.initiatives.moderation) stands on: reading an
initiative, taking one step of its life with its event in the same transaction, and telling its proposer
through the outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import BadMessage, InitiativeRefused
from bot.initiatives.proposal import Proposal
from bot.shared.communes import CommuneTable
from bot.shared.french import PARIS
from bot.shared.initiatives import initiative_id
from bot.storage.audit import Actor
from bot.storage.message_log import MessageLog
from bot.storage.models import (
    Author,
    Conversation,
    Initiative,
    InitiativeCommune,
    InitiativeEvent,
    InitiativeStatus,
    Message,
)

MAX_REASON_CHARS = 500
NOT_FOUND = "Cette initiative n’existe pas."
REFUSALS = {
    InitiativeStatus.PENDING: "Cette initiative attend encore d’être vérifiée.",
    InitiativeStatus.APPROVED: "Cette initiative est déjà publiée.",
    InitiativeStatus.REFUSED: "Cette initiative a été refusée.",
    InitiativeStatus.RETIRED: "Cette initiative a été retirée.",
    InitiativeStatus.EXPIRED: "Cette initiative est arrivée à sa date de fin.",
}
# Who acts when no staff member does: the clock, the proposer, someone reporting.
SYSTEM, ARTISAN, PUBLIC = Actor(None, "system"), Actor(None, "artisan"), Actor(None, "public")


def paris_today(now: datetime) -> date:
    return now.astimezone(PARIS).date()


def check_reason(reason: object) -> str:
    text = " ".join(reason.split()) if isinstance(reason, str) else ""
    if not text:
        raise BadMessage(400, "Donnez la raison : l’artisan la lira.", field="reason")
    if len(text) > MAX_REASON_CHARS:
        raise BadMessage(400, f"La raison ne doit pas dépasser {MAX_REASON_CHARS} caractères.", field="reason")
    return text


class InitiativeStore:
    """The initiatives' table and the proposer's channel, under Initiatives."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker,
        message_log: MessageLog,
        deliver: Callable[[list[Message]], None],
        communes: CommuneTable,
        clock: Callable[[], datetime],
    ) -> None:
        self._sessionmaker = sessionmaker
        self._log = message_log
        self._deliver = deliver
        self.communes = communes
        self._clock = clock

    def today(self) -> date:
        return paris_today(self._clock())

    async def _step(self, initiative_id: int, allowed: tuple[str, ...], to: str, actor: Actor, action: str,
                    detail: str | None, **values: Any) -> None:
        """A staff step: the move, or InitiativeRefused saying why not."""
        if not await self._move(initiative_id, allowed, to, actor, action, detail, **values):
            async with self._sessionmaker() as session:
                initiative = await self._get(session, initiative_id)
            raise InitiativeRefused(409, REFUSALS.get(initiative.status, "Ce n’est pas possible maintenant."))

    async def _move(self, initiative_id: int, allowed: tuple[str, ...], to: str, actor: Actor, action: str,
                    detail: str | None, *, where: Any = None, at: datetime | None = None, **values: Any) -> bool:
        """One step, if the initiative is still where it may start from, recorded with its event."""
        now = at or self._clock()
        query = update(Initiative).where(Initiative.id == initiative_id, Initiative.status.in_(allowed))
        if where is not None:
            query = query.where(where)
        async with self._sessionmaker() as session:
            result = await session.execute(query.values(status=to, updated_at=now, **values))
            if result.rowcount != 1:
                return False
            event(session, initiative_id, actor, action, detail, now)
            await session.commit()
        return True

    async def _by_reference(self, reference: str) -> Initiative:
        found = initiative_id(reference)
        async with self._sessionmaker() as session:
            initiative = await session.get(Initiative, found) if found is not None else None
        if initiative is None:
            raise InitiativeRefused(404, NOT_FOUND)
        return initiative

    async def _reload(self, initiative_id: int) -> Initiative:
        async with self._sessionmaker() as session:
            return await self._get(session, initiative_id)

    @staticmethod
    async def _get(session: AsyncSession, initiative_id: int) -> Initiative:
        initiative = await session.get(Initiative, initiative_id, populate_existing=True)
        if initiative is None:
            raise InitiativeRefused(404, NOT_FOUND)
        return initiative

    async def _tell(self, conversation_id: str, text: str, buttons: list[dict[str, str]] | None = None) -> None:
        """Say something to the proposer on their channel, through the outbox."""
        async with self._sessionmaker() as session:
            conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            return
        reply: dict[str, Any] = {"text": text, **({"buttons": buttons} if buttons else {})}
        messages = await self._log.record_outbound(conversation_id, conversation.channel, Author.BOT, [reply])
        self._deliver(messages)


def event(session: AsyncSession, initiative_id: int, actor: Actor, action: str, detail: str | None,
           at: datetime) -> None:
    session.add(
        InitiativeEvent(
            initiative_id=initiative_id, at=at, account_id=actor.account_id, actor=actor.name, action=action,
            detail=detail,
        )
    )


def fill(initiative: Initiative, draft: Proposal) -> None:
    initiative.description, initiative.category, initiative.audience = draft.description, draft.category, draft.audience
    initiative.phone, initiative.website, initiative.ends_on = draft.phone, draft.website, draft.ends_on
    initiative.communes = [
        InitiativeCommune(position=i, commune_code=code, commune_name=name)
        for i, (code, name) in enumerate(draft.communes)
    ]


def says(initiative: Initiative, draft: Proposal) -> bool:
    return (
        initiative.description == draft.description and initiative.category == draft.category
        and initiative.audience == draft.audience and initiative.phone == draft.phone
        and initiative.website == draft.website and initiative.ends_on == draft.ends_on
        and tuple((c.commune_code, c.commune_name) for c in initiative.communes) == draft.communes
    )
