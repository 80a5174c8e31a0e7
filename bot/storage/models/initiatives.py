"""This module contains the solidarity initiatives (bot/initiatives): what an artisan offers, where and to whom,
its contact with the consent given, its checks by staff, and the history of each step."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.shared.initiatives import initiative_reference
from bot.storage.models.base import Base, Id, UTCDateTime, utcnow


class InitiativeStatus(enum.StrEnum):
    """An initiative's life: waiting for a check by staff (pending, also after a report), public (approved),
    refused, retired (by staff, by its proposer, or after their silence), or past its end (expired)."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    RETIRED = "retired"
    EXPIRED = "expired"


class Initiative(Base):
    """One solidarity initiative an artisan proposed in a conversation.

    `last_confirmed_at` is its approval or its proposer's last "still current: yes"; `reminder_sent_at` the
    question "toujours d'actualité ?" waiting for an answer.
    """

    __tablename__ = "initiatives"
    __table_args__ = (Index("ix_initiatives_status", "status"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    status: Mapped[str] = mapped_column(String(16), default=InitiativeStatus.PENDING)
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(32))
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    website: Mapped[Optional[str]] = mapped_column(String(500))
    contact_consent_text: Mapped[str] = mapped_column(Text)
    contact_consent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    approved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    last_confirmed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    reminder_sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    refusal_reason: Mapped[Optional[str]] = mapped_column(Text)
    retired_reason: Mapped[Optional[str]] = mapped_column(Text)
    reports: Mapped[int] = mapped_column(Integer, default=0)

    communes: Mapped[list[InitiativeCommune]] = relationship(
        order_by="InitiativeCommune.position", lazy="selectin", cascade="all, delete-orphan"
    )

    @property
    def reference(self) -> str:
        return initiative_reference(self.id)

    @property
    def commune_codes(self) -> list[str]:
        return [c.commune_code for c in self.communes]

    @property
    def commune_names(self) -> list[str]:
        return [c.commune_name for c in self.communes]


class InitiativeCommune(Base):
    """One commune an initiative serves, in the order given (`position`)."""

    __tablename__ = "initiative_communes"
    __table_args__ = (
        UniqueConstraint("initiative_id", "commune_code"),
        Index("ix_initiative_communes_commune_code", "commune_code"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiatives.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    commune_code: Mapped[str] = mapped_column(String(5))  # INSEE code
    commune_name: Mapped[str] = mapped_column(String(200))


class InitiativeEvent(Base):
    """One step of an initiative: who (the artisan, a staff account, "public" for a report, "system" for the
    clock), what, and the reason or the fields edited. A report's author is never kept."""

    __tablename__ = "initiative_events"
    __table_args__ = (Index("ix_initiative_events_initiative_id", "initiative_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiatives.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_accounts.id"))
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(16))
    detail: Mapped[Optional[str]] = mapped_column(Text)
