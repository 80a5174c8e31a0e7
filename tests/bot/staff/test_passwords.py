"""Passwords: stored as argon2id hashes, never as themselves, and rehashed when the parameters change."""

from __future__ import annotations

from argon2 import PasswordHasher, extract_parameters

from bot.staff import Passwords, StaffAccounts
from bot.staff.passwords import Verdict


def test_a_hash_is_argon2id_and_never_the_password() -> None:
    passwords = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    stored = passwords.hash("correct horse battery")
    assert stored.startswith("$argon2id$") and "correct horse battery" not in stored
    assert passwords.hash("correct horse battery") != stored, "salted"
    assert passwords.verify(stored, "correct horse battery").ok
    assert not passwords.verify(stored, "correct horse batterY").ok


def test_a_damaged_hash_fails_without_raising() -> None:
    passwords = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    assert not passwords.verify("not a hash", "correct horse battery").ok
    assert not passwords.verify("$argon2id$v=19$m=8,t=1,p=1$AAAA$BBBB", "correct horse battery").ok


def test_no_account_checks_a_dummy_hash_and_fails() -> None:
    assert not Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)).verify(None, "anything").ok


def test_the_default_parameters_are_argon2_cffis() -> None:
    stored = Passwords().hash("correct horse battery")
    assert extract_parameters(stored) == extract_parameters(PasswordHasher().hash("x"))


async def test_accounts_store_the_hash(client, accounts: StaffAccounts, agent, password) -> None:
    stored = (await accounts.find(agent.email)).password_hash
    assert stored.startswith("$argon2id$") and stored != password and password not in stored


async def test_a_login_rehashes_a_password_hashed_with_older_parameters(accounts, browser, password) -> None:
    account = await accounts.create("ancien@cma-exemple.fr", password, "agent")
    assert extract_parameters(account.password_hash).time_cost == 1
    accounts.passwords = current = Passwords(PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))

    assert (await browser.login(account.email)).status == 303
    rehashed = (await accounts.find(account.email)).password_hash
    assert rehashed != account.password_hash and extract_parameters(rehashed).time_cost == 2
    assert current.verify(rehashed, password) == Verdict(ok=True, new_hash=None)

    await browser.login(account.email)
    assert (await accounts.find(account.email)).password_hash == rehashed, "rehashed once, not at every login"
