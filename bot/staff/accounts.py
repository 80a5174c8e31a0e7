"""This module contains StaffAccounts: creating, listing, disabling staff accounts (a partner's with its territory and
weekly report), and checking their logins.

Its errors, under the gateway's `CrisisbotError`:

StaffAccountError            a staff account cannot be created or changed as asked
 ├── InvalidEmail            not an email address
 ├── WeakPassword            too short (or absurdly long)
 ├── DuplicateAccount        an account with this email exists (emails are compared without case)
 ├── UnknownAccount          no account with this email
 └── PartnerOnly             a territory or a weekly report asked for an account that is not a partner's, or a
                             partner's account without its territory
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.errors import StaffAccountError
from bot.settings import Settings
from bot.staff.lockout import LoginThrottle, email_digest
from bot.staff.passwords import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, Passwords
from bot.storage.models import StaffAccount, StaffRole, StaffSession

logger = logging.getLogger(__name__)

# A practical check, not RFC 5322: one @, a plain local part, a domain with a dot; ASCII, since the
# chamber's own addresses are what staff log in with.
EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
MAX_EMAIL_CHARS = 254


class InvalidEmail(StaffAccountError):
    pass


class WeakPassword(StaffAccountError):
    pass


class DuplicateAccount(StaffAccountError):
    pass


class UnknownAccount(StaffAccountError):
    pass


class PartnerOnly(StaffAccountError):
    pass


def normalize_email(raw: str) -> str:
    """The address as stored: trimmed and lowercased, after checking it looks like one."""
    email = raw.strip().lower()
    if len(email) > MAX_EMAIL_CHARS or not EMAIL.fullmatch(email):
        raise InvalidEmail(f"{raw.strip()!r} is not a valid email address.")
    return email


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPassword(f"The password must have at least {MIN_PASSWORD_CHARS} characters.")
    if len(password) > MAX_PASSWORD_CHARS:
        raise WeakPassword(f"The password must have at most {MAX_PASSWORD_CHARS} characters.")


@dataclass(frozen=True)
class LoginOutcome:
    """The answer to a login attempt: the account when it succeeded; `throttled` when it was refused unchecked
    (or its failure just locked the email), which the page tells as "retry later"."""

    account: StaffAccount | None
    throttled: bool = False


class StaffAccounts:
    """The staff accounts in the database, and the login check with its lockout."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker,
        passwords: Passwords,
        throttle: LoginThrottle,
        clock: Callable[[], datetime],
    ) -> None:
        self._sessionmaker = sessionmaker
        self.passwords = passwords
        self.throttle = throttle
        self._clock = clock

    @classmethod
    def from_settings(cls, sessionmaker: async_sessionmaker, passwords: Passwords, settings: Settings) -> StaffAccounts:
        window = timedelta(minutes=settings.staff_lockout_minutes)
        throttle = LoginThrottle(
            sessionmaker,
            max_per_email=settings.staff_login_max_failures,
            max_per_ip=settings.staff_ip_max_failures,
            window=window,
            lockout=window,
        )
        return cls(sessionmaker, passwords, throttle, settings.clock)

    async def create(
        self,
        email: str,
        password: str,
        role: StaffRole | str,
        *,
        territory: list[str] | None = None,
        territory_label: str | None = None,
        weekly_report: bool = False,
    ) -> StaffAccount:
        """A new active account. A partner's needs its territory: `territory_label` always (how the reports
        name it), `territory` its communes' INSEE codes or None for the whole department; only a partner has
        a territory or a weekly report."""
        email = normalize_email(email)
        check_new_password(password)
        role = StaffRole(role)
        if role is StaffRole.PARTNER and not territory_label:
            raise PartnerOnly("A partner account needs its territory (--territory).")
        if role is not StaffRole.PARTNER and (territory is not None or territory_label or weekly_report):
            raise PartnerOnly("Only a partner account has a territory or a weekly report.")
        password_hash = await asyncio.to_thread(self.passwords.hash, password)
        account = StaffAccount(
            email=email, role=role, password_hash=password_hash, active=True, created_at=self._clock(),
            territory=sorted(territory) if territory is not None else None, territory_label=territory_label,
            weekly_report=weekly_report,
        )
        async with self._sessionmaker() as session:
            session.add(account)
            try:
                await session.commit()
            except IntegrityError:
                raise DuplicateAccount(f"An account for {email} already exists.") from None
        logger.info("Staff account %s created (%s)", account.id, account.role)
        return account

    async def find(self, email: str) -> StaffAccount | None:
        async with self._sessionmaker() as session:
            return await session.scalar(select(StaffAccount).where(StaffAccount.email == email.strip().lower()))

    async def get(self, account_id: int) -> StaffAccount | None:
        async with self._sessionmaker() as session:
            return await session.get(StaffAccount, account_id)

    async def all(self) -> list[StaffAccount]:
        """Every account, admins first, then by email."""
        async with self._sessionmaker() as session:
            rows = await session.scalars(select(StaffAccount).order_by(StaffAccount.role, StaffAccount.email))
            return list(rows)

    async def set_active(self, email: str, active: bool) -> StaffAccount:
        """Enable or disable an account; disabling ends its sessions at once."""
        account = await self._change(email, {"active": active}, end_sessions=not active)
        logger.info("Staff account %s %s", account.id, "enabled" if active else "disabled, its sessions ended")
        return account

    async def set_territory(self, email: str, territory: list[str] | None, label: str) -> StaffAccount:
        """Give a partner another territory (its communes' INSEE codes, None for the whole department); its open
        sessions see the new one at their next page."""
        account = await self._change(
            email, {"territory": sorted(territory) if territory is not None else None, "territory_label": label},
            end_sessions=False, partner_only=True,
        )
        logger.info("Territory of staff account %s changed (%s communes)", account.id,
                    "all" if territory is None else len(territory))
        return account

    async def set_weekly_report(self, email: str, on: bool) -> StaffAccount:
        """List a partner for the weekly report by e-mail, or take it off the list."""
        return await self._change(email, {"weekly_report": on}, end_sessions=False, partner_only=True)

    async def partners_for_weekly_report(self) -> list[StaffAccount]:
        """The active partners an admin listed for the weekly report, by id."""
        async with self._sessionmaker() as session:
            rows = await session.scalars(
                select(StaffAccount)
                .where(StaffAccount.role == StaffRole.PARTNER, StaffAccount.active, StaffAccount.weekly_report)
                .order_by(StaffAccount.id)
            )
            return list(rows)

    async def set_password(self, email: str, password: str) -> StaffAccount:
        """Replace an account's password; its sessions end, everywhere."""
        check_new_password(password)
        password_hash = await asyncio.to_thread(self.passwords.hash, password)
        account = await self._change(email, {"password_hash": password_hash}, end_sessions=True)
        logger.info("Password of staff account %s changed, its sessions ended", account.id)
        return account

    async def _change(
        self, email: str, values: dict[str, Any], *, end_sessions: bool, partner_only: bool = False
    ) -> StaffAccount:
        async with self._sessionmaker() as session:
            account = await session.scalar(select(StaffAccount).where(StaffAccount.email == email.strip().lower()))
            if account is None:
                raise UnknownAccount(f"No staff account for {email.strip()}.")
            if partner_only and account.role != StaffRole.PARTNER:
                raise PartnerOnly(f"{account.email} is not a partner account: only partners have a territory "
                                  "or a weekly report.")
            for name, value in values.items():
                setattr(account, name, value)
            if end_sessions:
                await session.execute(delete(StaffSession).where(StaffSession.account_id == account.id))
            await session.commit()
        return account

    async def authenticate(self, email: str, password: str, ip: str) -> LoginOutcome:
        """Check a login. Unknown email, disabled account and wrong password fail alike, in the same time."""
        now = self._clock()
        digest = email_digest(email)
        if await self.throttle.refused(digest, ip, now):
            return LoginOutcome(None, throttled=True)
        account = await self.find(email)
        verdict = await self.passwords.check(account.password_hash if account else None, password)
        if account is None or not account.active or not verdict.ok:
            locked = await self.throttle.record_failure(digest, ip, now)
            if account is None:
                logger.info("Staff login failed: no account for that email")
            else:
                logger.info("Staff login failed for account %s", account.id)
            return LoginOutcome(None, throttled=locked)
        values: dict[str, Any] = {"last_login_at": now}
        if verdict.new_hash is not None:
            values["password_hash"] = verdict.new_hash
        async with self._sessionmaker() as session:
            await session.execute(update(StaffAccount).where(StaffAccount.id == account.id).values(**values))
            await session.commit()
        await self.throttle.reset(digest)
        account.last_login_at = now
        if verdict.new_hash is not None:
            account.password_hash = verdict.new_hash
            logger.info("Password of staff account %s rehashed with the current parameters", account.id)
        logger.info("Staff account %s logged in", account.id)
        return LoginOutcome(account)
