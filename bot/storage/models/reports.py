"""This module contains what the partners' reports need beyond the requests themselves: the barometer's answers
(stored without the conversation's identity), what the chamber knows of an artisan for the figures (their trade
category and commune, and when the barometer was last asked), and the weekly report's mailings."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base, Id, UTCDateTime, utcnow


class Activity(enum.StrEnum):
    """The barometer's first question: "Où en est votre activité ?"."""

    STOPPED = "arretee"
    REDUCED = "reduite"
    NORMAL = "normale"


class Need(enum.StrEnum):
    """The barometer's second question: "Votre besoin principal ?"."""

    CASH = "tresorerie"
    STAFF = "salaries"
    RENT = "loyer"
    SUPPLY = "approvisionnement"
    CUSTOMERS = "clients"
    OTHER = "autre"


class TradeCategory(enum.StrEnum):
    """The four sectors of the crafts (artisanat), as the chambers count them."""

    FOOD = "alimentation"
    BUILDING = "batiment"
    PRODUCTION = "production"
    SERVICES = "services"


class BarometerAnswer(Base):
    """One artisan's answer to the barometer, for reporting only.

    Deliberately unlinkable: no conversation, no time finer than the day, nothing typed by the artisan. The
    trade category and commune are copied from the artisan's profile at the time of the answer (None when
    unknown); `need` is None when the artisan skipped the second question.
    """

    __tablename__ = "barometer_answers"
    __table_args__ = (Index("ix_barometer_answers_answered_on", "answered_on"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    answered_on: Mapped[date] = mapped_column(Date)  # Europe/Paris date
    activity: Mapped[str] = mapped_column(String(16))
    need: Mapped[Optional[str]] = mapped_column(String(24))
    trade_category: Mapped[Optional[str]] = mapped_column(String(16))
    commune_code: Mapped[Optional[str]] = mapped_column(String(5))  # INSEE code


class ArtisanProfile(Base):
    """What the reports may know of a conversation's artisan: their trade category and commune (the latest
    given in a form, or asked once by the barometer), and when the barometer was last offered (at most once
    every 7 days). One row per conversation; erased with the conversation's personal data."""

    __tablename__ = "artisan_profiles"

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    trade_category: Mapped[Optional[str]] = mapped_column(String(16))
    commune_code: Mapped[Optional[str]] = mapped_column(String(5))
    barometer_asked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    # Set when a broadcast carried the question: its first tap is taken as an answer, once, within 7 days.
    barometer_news_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    # The commune is asked once, after an answer, when no form gave it; the answer waits for it meanwhile
    # (the only link from a conversation to an answer, cleared as soon as the commune is given or skipped).
    commune_asked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    pending_answer_id: Mapped[Optional[int]] = mapped_column(Id)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ReportMailing(Base):
    """The weekly report of one week, e-mailed to one partner account: one row per (week, account), so a
    restarted or second gateway never sends it twice; `sent_at` stays None while it failed (`error`)."""

    __tablename__ = "report_mailings"
    __table_args__ = (UniqueConstraint("week_start", "account_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    week_start: Mapped[date] = mapped_column(Date)  # the Monday of the week reported
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
