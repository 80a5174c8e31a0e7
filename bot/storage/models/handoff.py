"""This module contains the hand-off's audit (each step), the advisers' notes, and their canned answers."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base, Id, UTCDateTime, utcnow


class HandoffEvent(Base):
    """One step of a hand-off: who (an adviser, or nobody for the bot and the clock), what, when."""

    __tablename__ = "handoff_events"
    __table_args__ = (Index("ix_handoff_events_conversation_id", "conversation_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_accounts.id"))
    # requested, refused_closed, taken, transferred, given_back, closed, expired, released, reopened, replied,
    # noted
    action: Mapped[str] = mapped_column(String(24))
    detail: Mapped[Optional[str]] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConversationNote(Base):
    """An adviser's internal note on a conversation: staff read it, the artisan never does."""

    __tablename__ = "conversation_notes"
    __table_args__ = (Index("ix_conversation_notes_conversation_id", "conversation_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CannedAnswer(Base):
    """A ready answer advisers insert in their reply (managed by admins)."""

    __tablename__ = "canned_answers"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_accounts.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
