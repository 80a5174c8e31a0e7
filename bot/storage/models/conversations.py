"""This module contains conversations and their messages, with their states, and the engine incidents (Rasa
misbehaved on a message)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.storage.models.base import Base, Id, UTCDateTime, utcnow


class ConversationState(enum.StrEnum):
    """Who answers the artisan: the bot, nobody yet (queued for an adviser), an adviser; or nobody, ever."""

    BOT = "bot"
    WAITING = "waiting"
    AGENT = "agent"
    CLOSED = "closed"


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class MessageStatus(enum.StrEnum):
    """Where a message is on its path.

    Inbound: received → done (or failed: answered with an apology).
    Outbound: pending → sent → delivered → read (as far as the platform tells); or failed (with the reason in
    `error`); or held (WhatsApp's 24-hour window is closed: kept for staff, sent when the artisan writes again).
    """

    RECEIVED = "received"
    DONE = "done"
    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    HELD = "held"


class Author(enum.StrEnum):
    ARTISAN = "artisan"
    BOT = "bot"
    AGENT = "agent"
    NEWS = "news"  # a broadcast of the chamber's news (bot/news)


class Conversation(Base):
    """One artisan on one channel. Its id is also the Rasa sender id."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "external_id"), Index("ix_conversations_state", "state"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: uuid.uuid4().hex)
    channel: Mapped[str] = mapped_column(String(16))
    # The platform's id of the chat: the web chat's sender id, a Telegram chat id, a WhatsApp number.
    external_id: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), default=ConversationState.BOT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # The hand-off to an adviser (bot/desk/handoff.py): why, how urgent, since when it waits, who has it, and
    # whether the artisan was told (once) that their messages reach the adviser.
    handoff_reason: Mapped[Optional[str]] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    waiting_since: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    agent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_accounts.id"))
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.id", lazy="raise"
    )


class Message(Base):
    """One message in or out of a conversation, stored before anything acts on it."""

    __tablename__ = "messages"
    __table_args__ = (
        # A redelivered platform message is recognised and dropped.
        UniqueConstraint("channel", "platform_message_id"),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        Index("ix_messages_status", "status"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    direction: Mapped[str] = mapped_column(String(3))
    channel: Mapped[str] = mapped_column(String(16))
    platform_message_id: Mapped[Optional[str]] = mapped_column(String(128))
    author: Mapped[str] = mapped_column(String(16))
    text: Mapped[Optional[str]] = mapped_column(Text)
    # Buttons and any other rich part of a message, as the channel needs them.
    payload: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    intent: Mapped[Optional[str]] = mapped_column(String(128))
    confidence: Mapped[Optional[float]] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    # The inbound message an outbound message answers.
    reply_to_id: Mapped[Optional[int]] = mapped_column(ForeignKey("messages.id"))
    error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    # Outbound on a push channel: how many times the outbox tried to send it, and when it tries next.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    # The outbox's lane of an outbound message: None for the conversation's own, "broadcast" for a news
    # item's (bot/messaging/broadcast_lane.py), which waits behind every conversation's message.
    lane: Mapped[Optional[str]] = mapped_column(String(16))

    conversation: Mapped[Conversation] = relationship(back_populates="messages", lazy="raise")

    @property
    def buttons(self) -> list[dict[str, str]]:
        return list((self.payload or {}).get("buttons") or [])


class IncidentKind(enum.StrEnum):
    """How Rasa misbehaved on one message (the gateway answered the artisan with one bubble anyway)."""

    REPEATED = "repeated"  # the same bubble more than once in one answer
    CIRCUIT_BREAKER = "circuit_breaker"  # Rasa's turn would not end and was stopped


class EngineIncident(Base):
    """An artisan message Rasa misbehaved on: staff see the count, and the inbox does not take its answer
    for a misunderstanding."""

    __tablename__ = "engine_incidents"
    __table_args__ = (Index("ix_engine_incidents_at", "at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    kind: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
