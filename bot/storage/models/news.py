"""This module contains the chamber's news (bot/news): the artisans' subscriptions with their consent, the news
items, and each recipient's delivery of a broadcast."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base, Id, UTCDateTime, utcnow


class NewsSource(enum.StrEnum):
    """Who decided what a news item says."""

    PREFECTURE = "prefecture"
    ETAT = "etat"
    REGION = "region"
    CHAMBRE = "chambre"


class NewsStatus(enum.StrEnum):
    """A news item's life: written (draft), then published (answered in conversation), and optionally
    broadcast to the subscribers, now or at a set time (scheduled), until sent or stopped."""

    DRAFT = "draft"
    PUBLISHED = "published"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    STOPPED = "stopped"


class DeliveryState(enum.StrEnum):
    """One recipient of a broadcast: not yet turned into a message (pending), a message in the outbox's
    broadcast lane (queued: the message's own status then tells sent, delivered, read or failed), never sent
    (skipped, with the reason), or left out when an admin stopped the broadcast (stopped)."""

    PENDING = "pending"
    QUEUED = "queued"
    SKIPPED = "skipped"
    STOPPED = "stopped"


class Subscription(Base):
    """An artisan's subscription to the chamber's news on one conversation: optionally one topic (a callback
    subject) and one commune, and the consent given (when, and the words they were shown).

    Unsubscribing keeps the row, inactive, with when and why (the artisan asked, or a permanent delivery
    failure): subscribing again reactivates it with the new consent.
    """

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("conversation_id"), Index("ix_subscriptions_active", "active"))

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    channel: Mapped[str] = mapped_column(String(16))
    topic: Mapped[Optional[str]] = mapped_column(String(64))
    commune_code: Mapped[Optional[str]] = mapped_column(String(5))  # INSEE code
    commune_name: Mapped[Optional[str]] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    consent_text: Mapped[str] = mapped_column(Text)
    ended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    ended_reason: Mapped[Optional[str]] = mapped_column(String(32))


class NewsItem(Base):
    """One piece of news: what it says, who decided it, from when, and to whom a broadcast of it goes.

    The audience is a list of INSEE codes (empty: the whole department), a topic (None: every topic) and the
    channels (empty: all of them).
    """

    __tablename__ = "news_items"
    __table_args__ = (Index("ix_news_items_status", "status"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    effective_on: Mapped[date] = mapped_column(Date)
    link: Mapped[Optional[str]] = mapped_column(String(500))
    # The FAQ topic (a callback subject) whose answers name this news item.
    topic: Mapped[Optional[str]] = mapped_column(String(64))
    audience_communes: Mapped[list[str]] = mapped_column(JSON, default=list)
    audience_topic: Mapped[Optional[str]] = mapped_column(String(64))
    audience_channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The barometer's first question goes with the broadcast, to those not asked it in the last 7 days.
    barometer: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    status: Mapped[str] = mapped_column(String(16), default=NewsStatus.DRAFT)
    published_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    scheduled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class NewsDelivery(Base):
    """One recipient of one broadcast, written when the broadcast starts: what became of it, and the message
    sent, if any. A recipient is one conversation: the unique key keeps a resumed broadcast from writing
    twice."""

    __tablename__ = "news_deliveries"
    __table_args__ = (
        UniqueConstraint("news_id", "conversation_id"),
        Index("ix_news_deliveries_news_id_state", "news_id", "state"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    news_id: Mapped[int] = mapped_column(ForeignKey("news_items.id"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=DeliveryState.PENDING)
    message_id: Mapped[Optional[int]] = mapped_column(ForeignKey("messages.id"))
    reason: Mapped[Optional[str]] = mapped_column(Text)
    # This recipient's message carries the barometer's question and its buttons (decided when it started).
    barometer: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
