"""This module contains the artisans' requests: callbacks and mask pledges, and the staff's changes of their
status."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base, Id, UTCDateTime, utcnow


class CallbackStatus(enum.StrEnum):
    """A callback request's life: an adviser takes it, calls, and records how it went."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    CALLED_BACK = "called_back"
    UNREACHABLE = "unreachable"
    CLOSED = "closed"
    CANCELLED = "cancelled"  # by the artisan, from the conversation


class PledgeStatus(enum.StrEnum):
    """A mask pledge's life: pledged by the artisan, collected by the chamber, handed to the prefecture."""

    PLEDGED = "pledged"
    COLLECTED = "collected"
    HANDED_OVER = "handed_over"
    CANCELLED = "cancelled"


class CallbackRequest(Base):
    """An artisan's request to be called back by an adviser; its reference is RAP-<id>."""

    __tablename__ = "callback_requests"
    __table_args__ = (
        # A retried or repeated confirmation of one form is one request.
        UniqueConstraint("conversation_id", "idempotency_key"),
        Index("ix_callback_requests_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    trade: Mapped[str] = mapped_column(String(200))
    commune_code: Mapped[str] = mapped_column(String(5))  # INSEE code
    commune_name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(64))
    preferred_time: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=CallbackStatus.NEW)
    note: Mapped[Optional[str]] = mapped_column(Text)
    assigned_to_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_accounts.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def reference(self) -> str:
        return f"RAP-{self.id:06d}"


class MaskPledge(Base):
    """Masks an artisan offers for the prefecture; its reference is DON-<id>."""

    __tablename__ = "mask_pledges"
    __table_args__ = (UniqueConstraint("conversation_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    quantity: Mapped[int] = mapped_column(Integer)
    mask_type: Mapped[str] = mapped_column(String(16))
    commune_code: Mapped[str] = mapped_column(String(5))
    commune_name: Mapped[str] = mapped_column(String(200))
    delivery: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default=PledgeStatus.PLEDGED)
    handed_over_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def reference(self) -> str:
        return f"DON-{self.id:06d}"


class StatusChange(Base):
    """One change of a callback's or a pledge's status by a staff member: who, from what to what, when, why.

    Exactly one of `callback_id` and `pledge_id` is set.
    """

    __tablename__ = "status_changes"
    __table_args__ = (
        CheckConstraint("(callback_id IS NULL) <> (pledge_id IS NULL)", name="one_request"),
        Index("ix_status_changes_callback_id", "callback_id"),
        Index("ix_status_changes_pledge_id", "pledge_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    callback_id: Mapped[Optional[int]] = mapped_column(ForeignKey("callback_requests.id"))
    pledge_id: Mapped[Optional[int]] = mapped_column(ForeignKey("mask_pledges.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[Optional[str]] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
