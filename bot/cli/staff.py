"""This module contains the `crisisbot staff` commands: add, list, disable, enable an account, reset its password, and
a partner's territory and weekly report.

Each applies the migrations first. A refusal (malformed email, short password, duplicate or unknown
account, two different passwords, a territory not understood or given to an account that is not a partner's)
prints why and exits with 2. Passwords and hashes are never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable

from bot.errors import StaffAccountError
from bot.reports.territory import BadTerritory, Territory
from bot.settings import Settings
from bot.shared.communes import CommuneTable
from bot.shared.french import PARIS
from bot.staff.accounts import (
    DuplicateAccount,
    PartnerOnly,
    StaffAccounts,
    UnknownAccount,
    check_new_password,
    normalize_email,
)
from bot.staff.passwords import MIN_PASSWORD_CHARS, Passwords
from bot.storage.database import create_engine, create_sessionmaker, migrate
from bot.storage.models import StaffRole

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
    except BadTerritory as exc:
        print(f"crisisbot: {exc.message}", file=sys.stderr)
        return REFUSED


def read_territory(settings: Settings, spec: str) -> Territory:
    """The territory an admin typed (as Territory.parse reads it), among the communes of COMMUNES_FILE."""
    return Territory.parse(spec, CommuneTable.load(settings.communes_file))


def territory_text(territory: Territory) -> str:
    count = "all communes" if territory.communes is None else f"{len(territory.communes)} communes"
    return f"{territory.label} ({count})"


def cmd_add(settings: Settings, args: argparse.Namespace) -> int:
    """Create a staff account."""

    async def add(accounts: StaffAccounts) -> int:
        email = normalize_email(args.email)
        if await accounts.find(email) is not None:  # say it before asking for a password
            raise DuplicateAccount(f"An account for {email} already exists.")
        partner = args.role == StaffRole.PARTNER
        if partner and not args.territory:
            raise PartnerOnly("A partner account needs its territory: --territory departement, an EPCI "
                              "(epci:SIREN or its name) or communes separated by commas.")
        if not partner and (args.territory or args.weekly_report):
            raise PartnerOnly("Only a partner account has a territory or a weekly report.")
        territory = read_territory(settings, args.territory) if partner else None
        account = await accounts.create(
            email, read_password(args), args.role,
            territory=sorted(territory.communes) if territory and territory.communes is not None else None,
            territory_label=territory.label if territory else None,
            weekly_report=bool(args.weekly_report),
        )
        print(f"Created {account.role} account {account.id} for {account.email}.")
        if territory is not None:
            weekly = "sent every Monday" if account.weekly_report else "not e-mailed"
            print(f"Territory: {territory_text(territory)}; weekly report {weekly}.")
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
            line = f"{a.id:>4}  {a.email:<40} {a.role:<7} {state:<8} last login {last}"
            if a.role == StaffRole.PARTNER:
                weekly = ", weekly report" if a.weekly_report else ""
                line += f"  territory {a.territory_label}{weekly}"
            print(line)
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


def cmd_territory(settings: Settings, args: argparse.Namespace) -> int:
    """Give a partner another territory."""

    async def change(accounts: StaffAccounts) -> int:
        territory = read_territory(settings, args.territory)
        communes = sorted(territory.communes) if territory.communes is not None else None
        account = await accounts.set_territory(args.email, communes, territory.label)
        print(f"Territory of account {account.id} ({account.email}): {territory_text(territory)}.")
        return 0

    return _run(settings, change)


def cmd_weekly_report(settings: Settings, args: argparse.Namespace) -> int:
    """List a partner for the weekly report by e-mail (on), or take it off (off)."""

    async def change(accounts: StaffAccounts) -> int:
        account = await accounts.set_weekly_report(args.email, args.state == "on")
        said = "will get the weekly report every Monday" if account.weekly_report else "will not get the weekly report"
        print(f"Account {account.id} ({account.email}) {said}.")
        return 0

    return _run(settings, change)


cmd_disable = _set_active(False)
cmd_enable = _set_active(True)
