"""This module contains the staff's accounts, their logged-in sessions, and the failed logins that lock them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base, Id, UTCDateTime, utcnow


class StaffRole(enum.StrEnum):
    """What a staff account may do: agents (advisers) work the queues; admins also manage accounts and content;
    partners (the prefecture, a mayor, an EPCI) only read the aggregated reports of their territory."""

    AGENT = "agent"
    ADMIN = "admin"
    PARTNER = "partner"


class StaffAccount(Base):
    """An adviser or admin who logs in to the staff web UI."""

    __tablename__ = "staff_accounts"
    __table_args__ = (
        # Stored lowercased, so unique regardless of case.
        UniqueConstraint("email"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint("role IN ('agent', 'admin', 'partner')", name="role"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    # argon2id, in its encoded form ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    # A partner's territory: the INSEE codes of its communes, or None for the whole department (staff: None).
    territory: Mapped[Optional[list[str]]] = mapped_column(JSON)
    # How the territory reads on the reports, e.g. "CA Le Grand Chalon" or "Saône-et-Loire".
    territory_label: Mapped[Optional[str]] = mapped_column(String(200))
    # An admin listed this partner for the weekly report by e-mail.
    weekly_report: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class StaffSession(Base):
    """A logged-in browser: only the sha256 of its cookie's token is stored, never the token."""

    __tablename__ = "staff_sessions"
    __table_args__ = (
        UniqueConstraint("token_hash"),
        Index("ix_staff_sessions_account_id", "account_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id", ondelete="CASCADE"))
    # Every state-changing request of this session carries it (form field or header).
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The absolute end; the idle end is last_seen_at plus the idle timeout.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StaffLoginFailure(Base):
    """A failed staff login, kept only while it counts towards a lock (minutes).

    The email is kept as its sha256 (it may be a typo, or someone else's address); the address is the
    client's, for the per-address limit. The failure that locks an email carries `locked_until`.
    """

    __tablename__ = "staff_login_failures"
    __table_args__ = (
        Index("ix_staff_login_failures_email_digest_failed_at", "email_digest", "failed_at"),
        Index("ix_staff_login_failures_ip_failed_at", "ip", "failed_at"),
        Index("ix_staff_login_failures_failed_at", "failed_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    email_digest: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
