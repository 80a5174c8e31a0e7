"""This module contains StaffSessions, the server-side sessions of logged-in staff, and their cookie."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.settings import Settings
from bot.storage.models import StaffAccount, StaffRole, StaffSession

SESSION_COOKIE = "crisisbot_session"
# last_seen_at is written at most this often: idle expiry is this precise, and a page's requests do not each write.
TOUCH_EVERY = timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class CurrentStaff:
    """Who is logged in on a request: set by the access middleware, read with `current_staff(request)`."""

    account_id: int
    email: str
    role: StaffRole
    session_id: int
    # To put in every form (`csrf_token`) or header (`X-CSRF-Token`) of a state-changing request.
    csrf_token: str
    # A partner's territory: its communes' INSEE codes (None: the whole department), and how it reads.
    territory: tuple[str, ...] | None = None
    territory_label: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is StaffRole.ADMIN

    @property
    def is_partner(self) -> bool:
        """A partner (prefecture, mayor, EPCI): it sees only the reports of its territory."""
        return self.role is StaffRole.PARTNER


class StaffSessions:
    """Opens, finds and ends sessions. The browser holds a random 256-bit token; the table holds its sha256.

    A session ends `idle` after its last request, `lifetime` after login, at logout, and when its account
    is disabled or its password changed.
    """

    def __init__(
        self, sessionmaker: async_sessionmaker, clock: Callable[[], datetime], *, idle: timedelta, lifetime: timedelta
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self.idle = idle
        self.lifetime = lifetime

    @classmethod
    def from_settings(cls, sessionmaker: async_sessionmaker, settings: Settings) -> StaffSessions:
        return cls(
            sessionmaker,
            settings.clock,
            idle=timedelta(hours=settings.staff_session_idle_hours),
            lifetime=timedelta(days=settings.staff_session_max_days),
        )

    async def open(self, account_id: int) -> str:
        """A new session for the account; returns the token for the cookie (kept nowhere else)."""
        now = self._clock()
        token = secrets.token_urlsafe(32)
        async with self._sessionmaker() as session:
            # Expired sessions are swept here: logins are rare enough, and every expired row is found.
            await session.execute(
                delete(StaffSession).where(
                    or_(StaffSession.expires_at <= now, StaffSession.last_seen_at <= now - self.idle)
                )
            )
            session.add(
                StaffSession(
                    token_hash=token_hash(token),
                    account_id=account_id,
                    csrf_token=secrets.token_urlsafe(32),
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + self.lifetime,
                )
            )
            await session.commit()
        return token

    async def resolve(self, token: str) -> CurrentStaff | None:
        """The live session of this token with its active account, or None (and an expired one is deleted)."""
        now = self._clock()
        async with self._sessionmaker() as session:
            row = (
                await session.execute(
                    select(StaffSession, StaffAccount)
                    .join(StaffAccount, StaffAccount.id == StaffSession.account_id)
                    .where(StaffSession.token_hash == token_hash(token))
                )
            ).first()
            if row is None:
                return None
            staff_session, account = row
            if now >= staff_session.expires_at or now >= staff_session.last_seen_at + self.idle or not account.active:
                await session.execute(delete(StaffSession).where(StaffSession.id == staff_session.id))
                await session.commit()
                return None
            if now - staff_session.last_seen_at >= TOUCH_EVERY:
                await session.execute(
                    update(StaffSession).where(StaffSession.id == staff_session.id).values(last_seen_at=now)
                )
                await session.commit()
        return CurrentStaff(
            account_id=account.id,
            email=account.email,
            role=StaffRole(account.role),
            session_id=staff_session.id,
            csrf_token=staff_session.csrf_token,
            territory=tuple(account.territory) if account.territory is not None else None,
            territory_label=account.territory_label,
        )

    async def close(self, token: str) -> None:
        """End the session of this token (logout); nothing happens for an unknown token."""
        async with self._sessionmaker() as session:
            await session.execute(delete(StaffSession).where(StaffSession.token_hash == token_hash(token)))
            await session.commit()


def set_session_cookie(response: web.StreamResponse, token: str, *, secure: bool) -> None:
    """The session cookie: a browser-session cookie, out of scripts' reach, not sent by cross-site POSTs."""
    response.set_cookie(SESSION_COOKIE, token, path="/", httponly=True, samesite="Lax", secure=secure)


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path="/")
