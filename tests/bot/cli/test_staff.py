"""`crisisbot staff`: accounts from the command line, refusals with exit code 2, and never a password printed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.settings import ROOT
from bot.storage.database import create_engine, create_sessionmaker
from bot.storage.models import StaffAccount

PASSWORD = "correct horse battery staple"


def crisisbot(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "INFO"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def stored_accounts(database_url: str) -> list[StaffAccount]:
    async def read() -> list[StaffAccount]:
        engine = create_engine(database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                return list(await session.scalars(select(StaffAccount).order_by(StaffAccount.id)))
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_staff_add_reads_the_password_from_stdin_and_creates_the_account(sqlite_url: str) -> None:
    result = crisisbot(sqlite_url, "staff", "add", "Admin@CMA-exemple.fr", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    [account] = stored_accounts(sqlite_url)
    assert (account.email, account.role, account.active) == ("admin@cma-exemple.fr", "admin", True)
    assert account.password_hash.startswith("$argon2id$")
    assert f"Created admin account {account.id} for admin@cma-exemple.fr." in result.stdout
    for output in (result.stdout, result.stderr):
        assert PASSWORD not in output and account.password_hash not in output and "$argon2" not in output
    assert "admin@cma-exemple.fr" not in result.stderr, "the log names the account by id, not by email"


@pytest.mark.parametrize(
    "email, password, message",
    [
        ("agent@cma-exemple.fr", "too short", "at least 12 characters"),
        ("not-an-email", PASSWORD, "not a valid email address"),
        ("agent@cma-exemple", PASSWORD, "not a valid email address"),
    ],
)
def test_staff_add_refuses_with_exit_code_2(sqlite_url: str, email: str, password: str, message: str) -> None:
    result = crisisbot(sqlite_url, "staff", "add", email, "--role", "agent", "--password-stdin", stdin=password + "\n")
    assert result.returncode == 2 and message in result.stderr
    assert password not in result.stdout + result.stderr
    assert stored_accounts(sqlite_url) == []


def test_staff_add_refuses_a_duplicate_whatever_its_case(sqlite_url: str) -> None:
    assert crisisbot(sqlite_url, "staff", "add", "agent@cma-exemple.fr", "--role", "agent", "--password-stdin", stdin=PASSWORD).returncode == 0
    result = crisisbot(sqlite_url, "staff", "add", "AGENT@cma-exemple.fr", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    assert result.returncode == 2 and "An account for agent@cma-exemple.fr already exists." in result.stderr
    assert [a.role for a in stored_accounts(sqlite_url)] == ["agent"]


def test_staff_add_needs_a_role(sqlite_url: str) -> None:
    result = crisisbot(sqlite_url, "staff", "add", "agent@cma-exemple.fr", "--password-stdin", stdin=PASSWORD)
    assert result.returncode == 2 and "--role" in result.stderr


# The other commands, in-process (quicker): the same `main` as `crisisbot`.


@pytest.fixture
def cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)

    def run(*args: str, passwords: list[str] = ()) -> tuple[int, str, str]:
        typed = iter(passwords)
        monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_staff_add_asks_twice_without_echo_and_refuses_two_different_passwords(cli, sqlite_url: str) -> None:
    code, _, err = cli("staff", "add", "agent@cma-exemple.fr", "--role", "agent", passwords=[PASSWORD, PASSWORD + "!"])
    assert code == 2 and "The two passwords differ" in err
    code, _, err = cli("staff", "add", "agent@cma-exemple.fr", "--role", "agent", passwords=["short"])
    assert code == 2 and "at least 12 characters" in err
    code, out, _ = cli("staff", "add", "agent@cma-exemple.fr", "--role", "agent", passwords=[PASSWORD, PASSWORD])
    assert code == 0 and "Created agent account" in out
    assert len(stored_accounts(sqlite_url)) == 1


def test_staff_list_disable_enable_and_password(cli, sqlite_url: str) -> None:
    code, out, _ = cli("staff", "list")
    assert code == 0 and "No staff accounts yet" in out and "--role admin" in out
    cli("staff", "add", "agent@cma-exemple.fr", "--role", "agent", passwords=[PASSWORD, PASSWORD])
    code, out, _ = cli("staff", "list")
    assert code == 0 and "agent@cma-exemple.fr" in out and "active" in out and "never" in out

    code, out, _ = cli("staff", "disable", "Agent@CMA-exemple.fr")
    assert code == 0 and "Disabled" in out and not stored_accounts(sqlite_url)[0].active
    assert "disabled" in cli("staff", "list")[1]
    code, out, _ = cli("staff", "enable", "agent@cma-exemple.fr")
    assert code == 0 and stored_accounts(sqlite_url)[0].active

    before = stored_accounts(sqlite_url)[0].password_hash
    code, out, _ = cli("staff", "password", "agent@cma-exemple.fr", passwords=["a new long passphrase"] * 2)
    assert code == 0 and "sessions have ended" in out and "a new long passphrase" not in out
    assert stored_accounts(sqlite_url)[0].password_hash != before

    for command in (["disable", "personne@cma-exemple.fr"], ["password", "personne@cma-exemple.fr"]):
        code, _, err = cli("staff", *command, passwords=[PASSWORD, PASSWORD])
        assert code == 2 and "No staff account for personne@cma-exemple.fr" in err


def test_the_roles_offered_on_the_command_line_are_the_stored_roles() -> None:
    from bot.cli import build_parser
    from bot.storage.models import StaffRole

    parser = build_parser()
    staff = parser._subparsers._group_actions[0].choices["staff"]
    add = staff._subparsers._group_actions[0].choices["add"]
    role = next(action for action in add._actions if action.dest == "role")
    assert sorted(role.choices) == sorted(r.value for r in StaffRole)


def test_a_partner_is_added_with_its_territory_and_its_weekly_report(cli, sqlite_url: str) -> None:
    code, out, _ = cli("staff", "add", "Mairie@Givry.fr", "--role", "partner", "--territory", "Givry, Mercurey",
                       "--weekly-report", passwords=[PASSWORD, PASSWORD])
    assert code == 0 and "Created partner account" in out
    assert "Territory: Givry, Mercurey (2 communes); weekly report sent every Monday." in out
    [account] = stored_accounts(sqlite_url)
    assert (account.role, account.territory, account.territory_label, account.weekly_report) == (
        "partner", ["71221", "71294"], "Givry, Mercurey", True
    )
    code, out, _ = cli("staff", "add", "prefecture@saone-et-loire.gouv.fr", "--role", "partner",
                       "--territory", "departement", passwords=[PASSWORD, PASSWORD])
    assert code == 0 and "Saône-et-Loire (all communes); weekly report not e-mailed" in out
    assert stored_accounts(sqlite_url)[1].territory is None

    code, out, _ = cli("staff", "list")
    lines = {line.split()[1]: line for line in out.splitlines()}
    assert "partner" in lines["mairie@givry.fr"] and "territory Givry, Mercurey, weekly report" in lines["mairie@givry.fr"]
    assert lines["prefecture@saone-et-loire.gouv.fr"].endswith("territory Saône-et-Loire")

    code, out, _ = cli("staff", "territory", "prefecture@saone-et-loire.gouv.fr", "CA Le Grand Chalon")
    assert code == 0 and "CA Le Grand Chalon (51 communes)" in out
    account = stored_accounts(sqlite_url)[1]
    assert account.territory_label == "CA Le Grand Chalon" and "71076" in account.territory and "71270" not in account.territory
    code, out, _ = cli("staff", "weekly-report", "prefecture@saone-et-loire.gouv.fr", "on")
    assert code == 0 and "will get the weekly report every Monday" in out and stored_accounts(sqlite_url)[1].weekly_report
    code, out, _ = cli("staff", "weekly-report", "mairie@givry.fr", "off")
    assert code == 0 and not stored_accounts(sqlite_url)[0].weekly_report


@pytest.mark.parametrize(
    "args, message",
    [
        (["--role", "partner"], "A partner account needs its territory"),
        (["--role", "partner", "--territory", "Givry, Atlantide"], "Commune inconnue en Saône-et-Loire : « Atlantide »."),
        (["--role", "partner", "--territory", "epci:123"], "EPCI inconnu"),
        (["--role", "agent", "--territory", "Givry"], "Only a partner account has a territory"),
        (["--role", "admin", "--weekly-report"], "Only a partner account has a territory"),
    ],
)
def test_a_territory_is_for_partners_and_must_be_understood(cli, sqlite_url: str, args: list[str], message: str) -> None:
    code, _, err = cli("staff", "add", "mairie@givry.fr", *args, passwords=[PASSWORD, PASSWORD])
    assert code == 2 and message in err
    assert stored_accounts(sqlite_url) == []


def test_an_agent_has_no_territory_nor_weekly_report(cli, sqlite_url: str) -> None:
    cli("staff", "add", "agent@cma-exemple.fr", "--role", "agent", passwords=[PASSWORD, PASSWORD])
    for command in (["territory", "agent@cma-exemple.fr", "Givry"], ["weekly-report", "agent@cma-exemple.fr", "on"]):
        code, _, err = cli("staff", *command)
        assert code == 2 and "is not a partner account" in err
    code, _, err = cli("staff", "territory", "personne@cma-exemple.fr", "Givry")
    assert code == 2 and "No staff account for personne@cma-exemple.fr" in err
    code, _, err = cli("staff", "territory", "agent@cma-exemple.fr", "Atlantide")
    assert code == 2 and "« Atlantide »" in err
    assert stored_accounts(sqlite_url)[0].territory_label is None
