"""This module contains the `crisisbot staff` commands: add, list, disable, enable an account, reset its password.

Each applies the migrations first. A refusal (malformed email, short password, duplicate or unknown
account, two different passwords) prints why and exits with 2. Passwords and hashes are never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable

from bot.errors import StaffAccountError
from bot.settings import Settings
from bot.shared.french import PARIS
from bot.staff.accounts import (
    DuplicateAccount,
    StaffAccounts,
    UnknownAccount,
    check_new_password,
    normalize_email,
)
from bot.staff.passwords import MIN_PASSWORD_CHARS, Passwords
from bot.storage.database import create_engine, create_sessionmaker, migrate

REFUSED = 2


class PasswordsDiffer(StaffAccountError):
    """The password typed twice was not the same."""


def read_password(args: argparse.Namespace) -> str:
    """The new password: the first line of stdin with --password-stdin, else typed twice without echo."""
    if args.password_stdin:
        return sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    password = getpass.getpass(f"Password ({MIN_PASSWORD_CHARS} characters or more): ")
    check_new_password(password)
    if getpass.getpass("The same password again: ") != password:
        raise PasswordsDiffer("The two passwords differ: nothing was changed.")
    return password


def _run(settings: Settings, work: Callable[[StaffAccounts], Awaitable[int]]) -> int:
    migrate(settings.database_url)

    async def run() -> int:
        engine = create_engine(settings.database_url)
        try:
            return await work(StaffAccounts.from_settings(create_sessionmaker(engine), Passwords(), settings))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except StaffAccountError as exc:
        print(f"crisisbot: {exc}", file=sys.stderr)
        return REFUSED


def cmd_add(settings: Settings, args: argparse.Namespace) -> int:
    """Create a staff account."""

    async def add(accounts: StaffAccounts) -> int:
        email = normalize_email(args.email)
        if await accounts.find(email) is not None:  # say it before asking for a password
            raise DuplicateAccount(f"An account for {email} already exists.")
        account = await accounts.create(email, read_password(args), args.role)
        print(f"Created {account.role} account {account.id} for {account.email}.")
        return 0

    return _run(settings, add)


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    """List the staff accounts."""

    async def show(accounts: StaffAccounts) -> int:
        rows = await accounts.all()
        if not rows:
            print("No staff accounts yet. Create the first admin: crisisbot staff add EMAIL --role admin")
            return 0
        for a in rows:
            last = a.last_login_at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M") if a.last_login_at else "never"
            state = "active" if a.active else "disabled"
            print(f"{a.id:>4}  {a.email:<40} {a.role:<6} {state:<8} last login {last}")
        return 0

    return _run(settings, show)


def _set_active(active: bool) -> Callable[[Settings, argparse.Namespace], int]:
    def command(settings: Settings, args: argparse.Namespace) -> int:
        async def change(accounts: StaffAccounts) -> int:
            account = await accounts.set_active(args.email, active)
            ended = "" if active else "; its sessions have ended"
            print(f"{'Enabled' if active else 'Disabled'} account {account.id} ({account.email}){ended}.")
            return 0

        return _run(settings, change)

    return command


def cmd_password(settings: Settings, args: argparse.Namespace) -> int:
    """Set a new password for an account."""

    async def reset(accounts: StaffAccounts) -> int:
        if await accounts.find(args.email) is None:
            raise UnknownAccount(f"No staff account for {args.email.strip()}.")
        account = await accounts.set_password(args.email, read_password(args))
        print(f"Password of account {account.id} ({account.email}) changed; its sessions have ended.")
        return 0

    return _run(settings, reset)


cmd_disable = _set_active(False)
cmd_enable = _set_active(True)
