"""This module contains LoginThrottle, which locks an email, or refuses an address, after repeated failed logins."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.storage.models import StaffLoginFailure

logger = logging.getLogger(__name__)


def email_digest(email: str) -> str:
    """How a failed login's email is kept: sha256 of the address as typed, trimmed and lowercased."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


class LoginThrottle:
    """Failed logins, counted per email and per client address over a sliding window.

    - `max_per_email` failures for one email within `window` lock that email for `lockout`, from the failure
      that reached the limit; a lock is the same for an email with or without an account.
    - `max_per_ip` failures from one address within `window` refuse that address until they age out.
    - A refused attempt is not counted (it is not even checked), so a lock ends on time.
    Rows are deleted once they no longer count, so the table holds minutes of failures at most.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker,
        *,
        max_per_email: int,
        max_per_ip: int,
        window: timedelta,
        lockout: timedelta,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.max_per_email = max_per_email
        self.max_per_ip = max_per_ip
        self.window = window
        self.lockout = lockout

    async def refused(self, digest: str, ip: str, now: datetime) -> bool:
        """Whether a login for this email, or from this address, must be refused without checking it."""
        async with self._sessionmaker() as session:
            locked = await session.scalar(
                select(StaffLoginFailure.id)
                .where(StaffLoginFailure.email_digest == digest, StaffLoginFailure.locked_until > now)
                .limit(1)
            )
            if locked is not None:
                return True
            from_ip = await session.scalar(
                select(func.count())
                .select_from(StaffLoginFailure)
                .where(StaffLoginFailure.ip == ip, StaffLoginFailure.failed_at > now - self.window)
            )
        if from_ip >= self.max_per_ip:
            logger.warning("Staff logins refused from %s: %s failures in %s", ip, from_ip, self.window)
            return True
        return False

    async def record_failure(self, digest: str, ip: str, now: datetime) -> bool:
        """Count a failed login; true when it locks the email."""
        async with self._sessionmaker() as session:
            await session.execute(
                delete(StaffLoginFailure).where(StaffLoginFailure.failed_at < now - max(self.window, self.lockout))
            )
            failure = StaffLoginFailure(email_digest=digest, ip=ip[:64], failed_at=now)
            session.add(failure)
            await session.flush()
            recent = await session.scalar(
                select(func.count())
                .select_from(StaffLoginFailure)
                .where(StaffLoginFailure.email_digest == digest, StaffLoginFailure.failed_at > now - self.window)
            )
            locks = recent >= self.max_per_email
            if locks:
                failure.locked_until = now + self.lockout
            await session.commit()
        if locks:
            logger.warning(
                "Staff logins locked for %s for one email (digest %s…) after %s failures", self.lockout, digest[:8], recent
            )
        return locks

    async def reset(self, digest: str) -> None:
        """Forget an email's failures, after a successful login."""
        async with self._sessionmaker() as session:
            await session.execute(delete(StaffLoginFailure).where(StaffLoginFailure.email_digest == digest))
            await session.commit()
