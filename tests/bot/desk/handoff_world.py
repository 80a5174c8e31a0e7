"""The World the desk's tests share (the `world` fixture, in conftest.py): a database, the hand-off's services on
it, three staff accounts, and a clock the tests move. Rasa is not running here: resuming its conversation fails
quietly (that is tested on the whole stack)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.desk.handoff import Adviser, Handoff
from bot.desk.live import Live
from bot.storage import ConversationState, Message
from bot.storage.message_log import Inbound, MessageLog
from bot.storage.models import HandoffEvent, StaffSession

STATES = [s.value for s in ConversationState]
# A Wednesday at 10:00 in Paris (09:00 UTC): advisers are in.
WEDNESDAY_10H = datetime(2020, 4, 8, 8, 0, tzinfo=UTC)


class World:
    """A database, the hand-off's services on it, two advisers, and what reached the outbox and the consoles."""

    def __init__(self, handoff: Handoff, log: MessageLog, sessionmaker, now: list[datetime]) -> None:
        self.handoff, self.log, self.sessionmaker, self.now = handoff, log, sessionmaker, now
        self.queue = self.watch = self.canned = None  # type: ignore[assignment]
        self.delivered: list[Message] = []
        self.live = Live()
        self.anne = self.bruno = self.admin = Adviser(0, "")

    def advance(self, **delta: float) -> None:
        self.now[0] += timedelta(**delta)

    async def conversation(self, name: str = "artisan", channel: str = "telegram") -> str:
        stored = await self.log.store_inbound(Inbound(channel, name, "je veux parler à quelqu'un"))
        return stored.conversation.id

    async def state(self, conversation_id: str) -> str:
        return (await self.handoff._conversation(conversation_id)).state

    def told(self) -> list[str]:
        return [m.text for m in self.delivered]

    async def audit(self, conversation_id: str) -> list[tuple[str, int | None]]:
        async with self.sessionmaker() as session:
            rows = await session.scalars(
                select(HandoffEvent).where(HandoffEvent.conversation_id == conversation_id).order_by(HandoffEvent.id)
            )
            return [(e.action, e.account_id) for e in rows]


async def logged_in(world: World, adviser: Adviser) -> None:
    async with world.sessionmaker() as session:
        now = world.now[0]
        session.add(
            StaffSession(
                token_hash=uuid.uuid4().hex, account_id=adviser.id, csrf_token="x",
                created_at=now, last_seen_at=now, expires_at=now + timedelta(days=7),
            )
        )
        await session.commit()
