"""This module contains the durable message log: the queries that store and advance messages on their path."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import (
    Author,
    Conversation,
    Direction,
    Message,
    MessageStatus,
    utcnow,
)

UNANSWERED = (MessageStatus.RECEIVED, MessageStatus.PROCESSING)


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

    async def store_inbound(self, inbound: Inbound) -> Stored:
        """Store an artisan's message (and its conversation, the first time) in one transaction."""
        platform_id = inbound.platform_message_id or uuid.uuid4().hex
        for _ in range(3):  # two first messages of one new conversation may race on its creation
            async with self._sessionmaker() as session:
                conversation = await self._conversation(session, inbound.channel, inbound.external_id)
                existing = await session.scalar(
                    select(Message).where(
                        Message.channel == inbound.channel,
                        Message.platform_message_id == platform_id,
                    )
                )
                if existing is not None:
                    return Stored(existing, await session.get(Conversation, existing.conversation_id), False)
                if conversation is None:
                    conversation = Conversation(channel=inbound.channel, external_id=inbound.external_id)
                    session.add(conversation)
                conversation.updated_at = utcnow()
                message = Message(
                    conversation=conversation,
                    direction=Direction.IN,
                    channel=inbound.channel,
                    platform_message_id=platform_id,
                    author=Author.ARTISAN,
                    text=inbound.text,
                    payload=inbound.payload,
                    status=MessageStatus.RECEIVED,
                )
                session.add(message)
                try:
                    await session.commit()
                except IntegrityError:
                    await session.rollback()
                    continue
                return Stored(message, conversation, True)
        raise RuntimeError("could not store the message after three attempts")

    @staticmethod
    async def _conversation(session: AsyncSession, channel: str, external_id: str) -> Conversation | None:
        return await session.scalar(
            select(Conversation).where(
                Conversation.channel == channel, Conversation.external_id == external_id
            )
        )

    async def next_unanswered(self, conversation_id: str) -> tuple[Message, Conversation] | None:
        """The oldest artisan message of the conversation still waiting for its answer, marked processing."""
        async with self._sessionmaker() as session:
            message = await session.scalar(
                select(Message)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.direction == Direction.IN,
                    Message.status.in_(UNANSWERED),
                )
                .order_by(Message.id)
                .limit(1)
            )
            if message is None:
                return None
            conversation = await session.get(Conversation, conversation_id)
            message.attempts += 1
            message.status = MessageStatus.PROCESSING
            await session.commit()
            return message, conversation

    async def conversations_with_unanswered(self) -> list[str]:
        async with self._sessionmaker() as session:
            rows = await session.scalars(
                select(Message.conversation_id)
                .where(Message.direction == Direction.IN, Message.status.in_(UNANSWERED))
                .distinct()
            )
            return list(rows)

    async def record_answer(
        self,
        inbound: Message,
        replies: list[dict[str, Any]],
        *,
        intent: str | None = None,
        confidence: float | None = None,
        status: MessageStatus = MessageStatus.DONE,
        error: str | None = None,
    ) -> list[Message]:
        """Store the bot's replies and close the inbound message, in one transaction."""
        async with self._sessionmaker() as session:
            message = await session.get(Message, inbound.id)
            message.intent = intent
            message.confidence = confidence
            message.status = status
            message.error = error
            message.processed_at = utcnow()
            outbound = [
                Message(
                    conversation_id=message.conversation_id,
                    direction=Direction.OUT,
                    channel=message.channel,
                    author=Author.BOT,
                    text=reply.get("text"),
                    payload={k: v for k, v in reply.items() if k not in ("text", "recipient_id")} or None,
                    status=MessageStatus.PENDING,
                    reply_to_id=message.id,
                )
                for reply in replies
            ]
            session.add_all(outbound)
            await session.commit()
            return outbound

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
        async with self._sessionmaker() as session:
            for message in await session.scalars(select(Message).where(Message.id.in_(pending))):
                message.status = MessageStatus.SENT
                message.processed_at = utcnow()
            await session.commit()
        for message in messages:
            if message.id in pending:
                message.status = MessageStatus.SENT

    async def find_conversation(self, channel: str, external_id: str) -> Conversation | None:
        async with self._sessionmaker() as session:
            return await self._conversation(session, channel, external_id)

    async def transcript(self, conversation_id: str) -> list[Message]:
        """Every message of a conversation, in order."""
        async with self._sessionmaker() as session:
            rows = await session.scalars(
                select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
            )
            return list(rows)

    async def recent_conversations(self, limit: int = 20) -> list[Conversation]:
        async with self._sessionmaker() as session:
            rows = await session.scalars(
                select(Conversation).order_by(Conversation.updated_at.desc()).limit(limit)
            )
            return list(rows)
