"""This module contains DeliveryLog: what happens to the replies of push channels after they are stored.

The outbox takes the replies waiting to be sent and records each attempt (sent, retried, failed, held); the
platforms' own reports (delivered, read, failed later) move a reply on, never back. Held replies (WhatsApp's
24-hour window) go back to the outbox when the artisan writes again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.storage.models import Conversation, Direction, Message, MessageStatus, utcnow

# In an outbound message's payload: the platform said its reply window is closed (only a template may go).
WINDOW_CLOSED = "window_closed"


class DeliveryLog:
    """The outbound side of the message log: replies waiting, their attempts, the platforms' reports."""

    def __init__(self, sessionmaker: async_sessionmaker) -> None:
        self._sessionmaker = sessionmaker
        # Recording an attempt is on the hot path: plain statements on a connection (see MessageLog).
        self._engine: AsyncEngine = sessionmaker.kw["bind"]

    async def pending_outbound(self, channels: list[str]) -> list[Message]:
        """Every conversation's message of these channels waiting to be sent, oldest first (after a stop).

        Not the broadcasts' (lane "broadcast"): each broadcast queues its own again (bot.news.broadcast).
        """
        async with self._sessionmaker() as session:
            rows = await session.scalars(
                select(Message)
                .where(
                    Message.direction == Direction.OUT,
                    Message.status == MessageStatus.PENDING,
                    Message.channel.in_(channels),
                    Message.lane.is_(None),
                )
                .order_by(Message.id)
            )
            return list(rows)

    async def external_id(self, conversation_id: str) -> str:
        """The platform's id of a conversation's chat: where its messages go."""
        async with self._engine.connect() as connection:
            external_id = await connection.scalar(
                select(Conversation.external_id).where(Conversation.id == conversation_id)
            )
        if external_id is None:
            raise LookupError(f"no conversation {conversation_id}")
        return external_id

    async def last_inbound_at(self, conversation_id: str) -> datetime | None:
        """When the artisan last wrote in a conversation (WhatsApp's 24-hour window), None if never."""
        async with self._engine.connect() as connection:
            last = await connection.scalar(
                select(func.max(Message.created_at)).where(
                    Message.conversation_id == conversation_id, Message.direction == Direction.IN
                )
            )
        if isinstance(last, str):  # SQLite returns an aggregate of timestamps as text
            last = datetime.fromisoformat(last)
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        return last

    async def record_delivery(
        self,
        message: Message,
        status: MessageStatus,
        *,
        platform_message_id: str | None = None,
        error: str | None = None,
        attempted: bool = True,
        next_attempt_at: datetime | None = None,
    ) -> None:
        """Record one delivery attempt's outcome on an outbound message."""
        values: dict[str, Any] = {"status": status, "error": error, "next_attempt_at": next_attempt_at}
        if attempted:
            values["attempts"] = Message.attempts + 1
        if platform_message_id is not None:
            values["platform_message_id"] = platform_message_id
        if status != MessageStatus.PENDING:
            values["processed_at"] = utcnow()
        async with self._engine.begin() as connection:
            await connection.execute(update(Message).where(Message.id == message.id).values(**values))
        message.status, message.error = status, error
        if platform_message_id is not None:
            message.platform_message_id = platform_message_id

    async def release_held(self, conversation_id: str) -> list[Message]:
        """Put a conversation's held messages back in the outbox (the artisan wrote again); oldest first.

        The window is open again: whatever the platform said about it before is forgotten.
        """
        async with self._sessionmaker() as session:
            held = list(
                await session.scalars(
                    select(Message)
                    .where(
                        Message.conversation_id == conversation_id,
                        Message.status == MessageStatus.HELD,
                        Message.lane.is_(None),
                    )
                    .order_by(Message.id)
                )
            )
            for message in held:
                message.status = MessageStatus.PENDING
                if (message.payload or {}).get(WINDOW_CLOSED):
                    message.payload = {k: v for k, v in message.payload.items() if k != WINDOW_CLOSED} or None
            await session.commit()
        return held

    async def window_closed_by_platform(
        self, channel: str, platform_message_id: str, reason: str, *, resend: bool
    ) -> Message | None:
        """The platform refused a message we sent because its reply window is closed (WhatsApp's 131047).

        With `resend` (a template can carry it) the message goes back to the outbox marked so; otherwise it
        is held until the artisan writes again. None when the id is not one of our messages.
        """
        async with self._sessionmaker() as session:
            message = await session.scalar(
                select(Message).where(
                    Message.channel == channel,
                    Message.platform_message_id == platform_message_id,
                    Message.direction == Direction.OUT,
                    Message.status.in_([MessageStatus.SENT, MessageStatus.DELIVERED]),
                )
            )
            if message is None:
                return None
            message.status = MessageStatus.PENDING if resend else MessageStatus.HELD
            message.error = reason
            message.payload = {**(message.payload or {}), WINDOW_CLOSED: True}
            await session.commit()
        return message

    async def record_platform_status(
        self, channel: str, platform_message_id: str, status: MessageStatus, error: str | None = None
    ) -> str | None:
        """A platform's report on a message we sent (delivered, read, failed); never moves a status back.

        The message's conversation, or None when no message of ours has that id.
        """
        allowed_from = {
            MessageStatus.SENT: [MessageStatus.PENDING],
            MessageStatus.DELIVERED: [MessageStatus.PENDING, MessageStatus.SENT],
            MessageStatus.READ: [MessageStatus.PENDING, MessageStatus.SENT, MessageStatus.DELIVERED],
            MessageStatus.FAILED: [MessageStatus.PENDING, MessageStatus.SENT, MessageStatus.DELIVERED],
        }[status]
        async with self._sessionmaker() as session:
            found = (
                await session.execute(
                    select(Message.id, Message.conversation_id).where(
                        Message.channel == channel,
                        Message.platform_message_id == platform_message_id,
                        Message.direction == Direction.OUT,
                    )
                )
            ).first()
            if found is None:
                return None
            values: dict[str, Any] = {"status": status}
            if error is not None:
                values["error"] = error
            await session.execute(
                update(Message).where(Message.id == found.id, Message.status.in_(allowed_from)).values(**values)
            )
            await session.commit()
        return found.conversation_id
