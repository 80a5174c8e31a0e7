"""This module contains the durable message log: storing an artisan's message, its answer, and reading them back.

What happens to a reply after it is stored (sent, delivered, held...) is the DeliveryLog's (bot.storage.deliveries).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.models import (
    Author,
    Conversation,
    ConversationState,
    Direction,
    EngineIncident,
    Message,
    MessageStatus,
    utcnow,
)


@dataclass(frozen=True)
class Inbound:
    """One normalized artisan message, as every channel hands it to the log."""

    channel: str
    external_id: str
    text: str
    # The platform's own id of the message; a second delivery of the same id is dropped.
    platform_message_id: str | None = None
    payload: dict[str, Any] | None = None


@dataclass(frozen=True)
class Stored:
    message: Message
    conversation: Conversation
    # False when the platform delivered this message before: it is not processed again.
    is_new: bool


class MessageLog:
    """Stores inbound messages, hands them out in order, and records the answers."""

    def __init__(self, sessionmaker: async_sessionmaker) -> None:
        self._sessionmaker = sessionmaker
        # The hot path (storing a message, its answer, a delivery) runs SQL statements on a connection: the
        # ORM's unit of work would cost it several times more CPU. It hands back transient Message objects.
        self._engine: AsyncEngine = sessionmaker.kw["bind"]

    async def store_inbound(self, inbound: Inbound) -> Stored:
        """Store an artisan's message (and its conversation, the first time) in one transaction."""
        platform_id = inbound.platform_message_id or uuid.uuid4().hex
        for _ in range(3):  # two first messages of one new conversation may race on its creation
            now = utcnow()
            try:
                async with self._engine.begin() as connection:
                    row = (
                        await connection.execute(
                            select(Conversation.id, Conversation.state, Conversation.created_at).where(
                                Conversation.channel == inbound.channel,
                                Conversation.external_id == inbound.external_id,
                            )
                        )
                    ).first()
                    if row is None:
                        conversation = Conversation(
                            id=uuid.uuid4().hex,
                            channel=inbound.channel,
                            external_id=inbound.external_id,
                            state=ConversationState.BOT,
                            created_at=now,
                            updated_at=now,
                        )
                        await connection.execute(
                            insert(Conversation).values(
                                id=conversation.id,
                                channel=conversation.channel,
                                external_id=conversation.external_id,
                                state=conversation.state,
                                created_at=now,
                                updated_at=now,
                            )
                        )
                    else:
                        conversation = Conversation(
                            id=row.id,
                            channel=inbound.channel,
                            external_id=inbound.external_id,
                            state=row.state,
                            created_at=row.created_at,
                        )
                    values = dict(
                        conversation_id=conversation.id,
                        direction=Direction.IN,
                        channel=inbound.channel,
                        platform_message_id=platform_id,
                        author=Author.ARTISAN,
                        text=inbound.text,
                        payload=inbound.payload,
                        status=MessageStatus.RECEIVED,
                        created_at=now,
                        attempts=0,
                    )
                    message_id = (
                        await connection.execute(insert(Message).values(**values).returning(Message.id))
                    ).scalar_one()
                return Stored(Message(id=message_id, **values), conversation, True)
            except IntegrityError:
                pass
            # Either this platform message was stored before (a redelivery), or the conversation was created
            # meanwhile by another request: tell which, and try again for the latter.
            async with self._sessionmaker() as session:
                existing = await session.scalar(
                    select(Message).where(
                        Message.channel == inbound.channel, Message.platform_message_id == platform_id
                    )
                )
                if existing is not None:
                    return Stored(existing, await session.get(Conversation, existing.conversation_id), False)
        raise RuntimeError("could not store the message after three attempts")

    @staticmethod
    async def _conversation(session: AsyncSession, channel: str, external_id: str) -> Conversation | None:
        return await session.scalar(
            select(Conversation).where(
                Conversation.channel == channel, Conversation.external_id == external_id
            )
        )

    async def unanswered(self) -> list[tuple[Message, str]]:
        """Every artisan message stored but not answered yet, oldest first, with its conversation's state."""
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(Message, Conversation.state)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Message.direction == Direction.IN, Message.status == MessageStatus.RECEIVED)
                .order_by(Message.id)
            )
            return [(message, state) for message, state in rows]

    async def record_answer(
        self,
        inbound: Message,
        replies: list[dict[str, Any]],
        *,
        intent: str | None = None,
        confidence: float | None = None,
        status: MessageStatus = MessageStatus.DONE,
        error: str | None = None,
        reply_status: MessageStatus = MessageStatus.PENDING,
        incident: str | None = None,
    ) -> list[Message]:
        """Store the bot's replies and close the inbound message, in one transaction.

        `reply_status` is SENT when the replies go out with this answer (a web chat request is waiting for
        them); otherwise they wait in the outbox, PENDING. `incident` (an IncidentKind) records that Rasa
        misbehaved on this message.
        """
        now = utcnow()
        rows = outbound_rows(inbound.conversation_id, inbound.channel, Author.BOT, replies, reply_status, now, inbound.id)
        async with self._engine.begin() as connection:
            await connection.execute(
                update(Message)
                .where(Message.id == inbound.id)
                .values(intent=intent, confidence=confidence, status=status, error=error, processed_at=now)
            )
            outbound = await insert_outbound(connection, rows)
            if incident is not None:
                await connection.execute(
                    insert(EngineIncident).values(
                        message_id=inbound.id, conversation_id=inbound.conversation_id, kind=incident, at=now
                    )
                )
        inbound.intent, inbound.confidence, inbound.status, inbound.processed_at = intent, confidence, status, now
        return outbound

    async def record_outbound(
        self, conversation_id: str, channel: str, author: str, replies: list[dict[str, Any]]
    ) -> list[Message]:
        """Store messages to the artisan that answer no particular message (an adviser's, the hand-off's), PENDING."""
        rows = outbound_rows(conversation_id, channel, author, replies, MessageStatus.PENDING, utcnow())
        async with self._engine.begin() as connection:
            return await insert_outbound(connection, rows)

    async def wait_replies(self, inbound_id: int, timeout: float, poll: float = 0.25) -> list[Message]:
        """The replies to a message answered elsewhere (another request, another gateway), once stored."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            message = await self.get(inbound_id)
            if message is None or message.status != MessageStatus.RECEIVED:
                return await self.replies_to(inbound_id)
            if asyncio.get_running_loop().time() >= deadline:
                return []
            await asyncio.sleep(poll)

    async def replies_to(self, inbound_id: int) -> list[Message]:
        async with self._sessionmaker() as session:
            rows = await session.scalars(
                select(Message).where(Message.reply_to_id == inbound_id).order_by(Message.id)
            )
            return list(rows)

    async def get(self, message_id: int) -> Message | None:
        async with self._sessionmaker() as session:
            return await session.get(Message, message_id)

    async def mark_sent(self, messages: list[Message]) -> None:
        pending = [m.id for m in messages if m.status == MessageStatus.PENDING]
        if not pending:
            return
        async with self._engine.begin() as connection:
            await connection.execute(
                update(Message).where(Message.id.in_(pending)).values(status=MessageStatus.SENT, processed_at=utcnow())
            )
        for message in messages:
            if message.id in pending:
                message.status = MessageStatus.SENT

    async def find_conversation(self, channel: str, external_id: str) -> Conversation | None:
        async with self._sessionmaker() as session:
            return await self._conversation(session, channel, external_id)

    async def transcript(self, conversation_id: str, *, after: int | None = None) -> list[Message]:
        """Every message of a conversation, in order; with `after`, only those after that message id."""
        query = select(Message).where(Message.conversation_id == conversation_id)
        if after is not None:
            query = query.where(Message.id > after)
        async with self._sessionmaker() as session:
            return list(await session.scalars(query.order_by(Message.id)))

    async def recent_conversations(self, limit: int = 20) -> list[tuple[Conversation, datetime]]:
        """The conversations with the latest messages, each with the time of its last message."""
        last = (
            select(Message.conversation_id, func.max(Message.id).label("last_id"))
            .group_by(Message.conversation_id)
            .subquery()
        )
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(Conversation, Message.created_at)
                .join(last, last.c.conversation_id == Conversation.id)
                .join(Message, Message.id == last.c.last_id)
                .order_by(last.c.last_id.desc())
                .limit(limit)
            )
            return [(conversation, at) for conversation, at in rows]

    async def button_of(self, message_id: int, index: int, conversation_id: str) -> dict[str, str] | None:
        """Button `index` of an outbound message of this conversation ({"title", "payload"}), if it exists."""
        message = await self.get(message_id)
        if message is None or message.conversation_id != conversation_id or message.direction != Direction.OUT:
            return None
        buttons = message.buttons
        return buttons[index] if 0 <= index < len(buttons) else None

    async def last_buttons(self, conversation_id: str) -> list[dict[str, str]]:
        """The buttons of the conversation's last outbound message, if it had any (a numbered menu's choices)."""
        async with self._sessionmaker() as session:
            last = await session.scalar(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.direction == Direction.OUT)
                .order_by(Message.id.desc())
                .limit(1)
            )
        return last.buttons if last is not None else []


def outbound_rows(
    conversation_id: str,
    channel: str,
    author: str,
    replies: list[dict[str, Any]],
    status: MessageStatus,
    now: datetime,
    reply_to_id: int | None = None,
) -> list[dict[str, Any]]:
    """The columns of outbound messages: the text apart, everything else (buttons, ...) in the payload."""
    return [
        dict(
            conversation_id=conversation_id,
            direction=Direction.OUT,
            channel=channel,
            author=author,
            text=reply.get("text"),
            payload={k: v for k, v in reply.items() if k not in ("text", "recipient_id")} or None,
            status=status,
            reply_to_id=reply_to_id,
            created_at=now,
            attempts=0,
        )
        for reply in replies
    ]


async def insert_outbound_many(connection: AsyncConnection, rows: list[dict[str, Any]]) -> list[Message]:
    """insert_outbound for many rows (a broadcast's batch): one statement, the ids returned in order."""
    if not rows:
        return []
    result = await connection.execute(insert(Message).returning(Message.id, sort_by_parameter_order=True), rows)
    return [Message(id=message_id, **row) for message_id, row in zip(result.scalars().all(), rows)]


async def insert_outbound(connection: AsyncConnection, rows: list[dict[str, Any]]) -> list[Message]:
    """Insert the rows, in order; the stored messages (transient objects, with their ids)."""
    ids = [(await connection.execute(insert(Message).values(**row).returning(Message.id))).scalar_one() for row in rows]
    return [Message(id=message_id, **row) for message_id, row in zip(ids, rows)]
