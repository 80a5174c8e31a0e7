"""This module contains HandoffQueue: what the advisers' console shows of the hand-offs, read from the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.desk.handoff import AGENT, REASON_LABELS, WAITING
from bot.storage.models import Author, Conversation, ConversationNote, HandoffEvent, Message, StaffAccount


class HandoffQueue:
    """The conversations waiting for an adviser or with one, and a conversation's notes and hand-off steps."""

    def __init__(self, sessionmaker: async_sessionmaker, clock: Callable[[], datetime]) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock

    async def queue(self) -> list[dict[str, Any]]:
        """Conversations waiting (most urgent, then longest waiting first), then those advisers have."""
        now = self._clock()
        async with self._sessionmaker() as session:
            rows = list(
                await session.execute(
                    select(Conversation, StaffAccount.email)
                    .outerjoin(StaffAccount, StaffAccount.id == Conversation.agent_id)
                    .where(Conversation.state.in_([WAITING, AGENT]))
                    .order_by(Conversation.priority.desc(), Conversation.waiting_since)
                )
            )
            names = await artisan_names(session, [c.id for c, _ in rows])
        rows.sort(key=lambda row: row[0].state != WAITING)  # stable: each part keeps the query's order
        return [
            {
                "id": c.id,
                "state": c.state,
                "channel": c.channel,
                "name": names.get(c.id) or "Artisan",
                "reason": c.handoff_reason,
                "reason_label": REASON_LABELS.get(c.handoff_reason, c.handoff_reason or ""),
                "priority": c.priority,
                "waiting_since": c.waiting_since.isoformat() if c.waiting_since else None,
                "waiting_seconds": int((now - c.waiting_since).total_seconds()) if c.waiting_since else 0,
                "agent": email,
                "agent_id": c.agent_id,
            }
            for c, email in rows
        ]

    async def notes(self, conversation_id: str) -> list[dict[str, Any]]:
        """The advisers' internal notes on a conversation, oldest first."""
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(ConversationNote, StaffAccount.email)
                .join(StaffAccount, StaffAccount.id == ConversationNote.account_id)
                .where(ConversationNote.conversation_id == conversation_id)
                .order_by(ConversationNote.id)
            )
            return [{"text": n.text, "by": email, "at": n.created_at.isoformat()} for n, email in rows]

    async def events(self, conversation_id: str) -> list[dict[str, Any]]:
        """A conversation's hand-off steps (the audit): who, what, when."""
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(HandoffEvent, StaffAccount.email)
                .outerjoin(StaffAccount, StaffAccount.id == HandoffEvent.account_id)
                .where(HandoffEvent.conversation_id == conversation_id)
                .order_by(HandoffEvent.id)
            )
            return [
                {"action": e.action, "by": email, "detail": e.detail, "at": e.at.isoformat()} for e, email in rows
            ]


async def artisan_names(session: AsyncSession, conversation_ids: list[str]) -> dict[str, str]:
    """The artisan's name as their platform gives it (Telegram first name, WhatsApp profile name)."""
    if not conversation_ids:
        return {}
    rows = await session.execute(
        select(Message.conversation_id, Message.payload)
        .where(Message.conversation_id.in_(conversation_ids), Message.author == Author.ARTISAN)
        .order_by(Message.id.desc())
    )
    names: dict[str, str] = {}
    for conversation_id, payload in rows:
        if conversation_id in names or not payload:
            continue
        name = payload.get("profile_name") or payload.get("first_name")
        if name:
            names[conversation_id] = str(name)
    return names
