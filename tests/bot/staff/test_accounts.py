"""Staff accounts, on SQLite and PostgreSQL: creation rules, one account per email whatever its case, changes."""

from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from bot import appkeys
from bot.settings import Settings
from bot.staff import DuplicateAccount, InvalidEmail, StaffAccounts, UnknownAccount, WeakPassword
from bot.staff.accounts import PartnerOnly
from bot.storage.models import StaffAccount


@pytest.fixture
def settings(make_settings, database_url: str) -> Settings:
    return make_settings(database_url)


async def test_an_account_is_created_active_with_its_email_lowercased(accounts: StaffAccounts, clock) -> None:
    account = await accounts.create("  Marie.Dupont@CMA-Exemple.fr ", "correct horse battery", "admin")
    assert (account.email, account.role, account.active) == ("marie.dupont@cma-exemple.fr", "admin", True)
    assert account.created_at == clock() and account.last_login_at is None
    assert (await accounts.find("MARIE.DUPONT@cma-exemple.FR")).id == account.id


async def test_an_email_has_one_account_whatever_its_case(accounts: StaffAccounts) -> None:
    await accounts.create("agent@cma-exemple.fr", "correct horse battery", "agent")
    with pytest.raises(DuplicateAccount, match="already exists"):
        await accounts.create("Agent@CMA-exemple.fr", "another good password", "admin")
    assert len(await accounts.all()) == 1


async def test_the_database_refuses_an_email_that_is_not_lowercase(client) -> None:
    async with client.app[appkeys.DATABASE].begin() as connection:
        with pytest.raises(IntegrityError):
            await connection.execute(
                insert(StaffAccount).values(email="Agent@x.fr", role="agent", password_hash="h", active=True, created_at=client.app[appkeys.SETTINGS].clock())
            )


@pytest.mark.parametrize(
    "email", ["", "agent", "agent@", "@cma.fr", "agent@cma", "a b@cma.fr", "agent@@cma.fr", "agent@cma..fr", "agent@-cma.fr", "agent@cma.fr\nx", "x" * 250 + "@cma.fr"]
)
async def test_a_malformed_email_is_refused(accounts: StaffAccounts, email: str) -> None:
    with pytest.raises(InvalidEmail, match="not a valid email"):
        await accounts.create(email, "correct horse battery", "agent")


async def test_a_short_password_is_refused(accounts: StaffAccounts) -> None:
    with pytest.raises(WeakPassword, match="at least 12 characters"):
        await accounts.create("agent@cma-exemple.fr", "elevenchars", "agent")
    await accounts.create("agent@cma-exemple.fr", "twelve chars", "agent")


async def test_a_role_is_agent_or_admin(accounts: StaffAccounts) -> None:
    with pytest.raises(ValueError):
        await accounts.create("agent@cma-exemple.fr", "correct horse battery", "superuser")


async def test_disable_enable_and_reset_an_unknown_account(accounts: StaffAccounts) -> None:
    with pytest.raises(UnknownAccount):
        await accounts.set_active("personne@cma-exemple.fr", False)
    with pytest.raises(UnknownAccount):
        await accounts.set_password("personne@cma-exemple.fr", "correct horse battery")


async def test_a_disabled_account_can_be_enabled_again(accounts: StaffAccounts, browser, agent) -> None:
    assert not (await accounts.set_active(agent.email.upper(), False)).active
    assert (await browser.login(agent.email)).status == 401
    assert (await accounts.set_active(agent.email, True)).active
    assert (await browser.login(agent.email)).status == 303


async def test_a_login_records_its_time(accounts: StaffAccounts, browser, agent, clock) -> None:
    clock.advance(hours=2)
    await browser.login(agent.email)
    assert (await accounts.get(agent.id)).last_login_at == clock()


async def test_all_lists_admins_first_then_by_email(accounts: StaffAccounts) -> None:
    for email, role in (("b@cma.fr", "agent"), ("z@cma.fr", "admin"), ("a@cma.fr", "agent")):
        await accounts.create(email, "correct horse battery", role)
    assert [a.email for a in await accounts.all()] == ["z@cma.fr", "a@cma.fr", "b@cma.fr"]


async def test_a_partner_has_its_territory_and_the_weekly_report(accounts: StaffAccounts, browser) -> None:
    partner = await accounts.create(
        "mairie@givry.fr", "correct horse battery", "partner", territory=["71294", "71221"],
        territory_label="Givry, Mercurey", weekly_report=True,
    )
    assert (partner.role, partner.territory, partner.territory_label, partner.weekly_report) == (
        "partner", ["71221", "71294"], "Givry, Mercurey", True
    )
    await browser.login("mairie@givry.fr", "correct horse battery")
    changed = await accounts.set_territory("mairie@givry.fr", None, "Saône-et-Loire")
    assert (changed.territory, changed.territory_label) == (None, "Saône-et-Loire")
    assert browser.session is not None and (await browser.get("/staff/reports/")).status == 200, "still logged in"
    assert (await accounts.set_weekly_report("mairie@givry.fr", False)).weekly_report is False
    assert await accounts.partners_for_weekly_report() == []


async def test_only_a_partner_has_a_territory_and_a_partner_needs_one(accounts: StaffAccounts) -> None:
    with pytest.raises(PartnerOnly, match="needs its territory"):
        await accounts.create("mairie@givry.fr", "correct horse battery", "partner")
    with pytest.raises(PartnerOnly, match="Only a partner"):
        await accounts.create("agent@cma-exemple.fr", "correct horse battery", "agent", territory_label="Givry")
    with pytest.raises(PartnerOnly, match="Only a partner"):
        await accounts.create("agent@cma-exemple.fr", "correct horse battery", "agent", weekly_report=True)
    await accounts.create("agent@cma-exemple.fr", "correct horse battery", "agent")
    with pytest.raises(PartnerOnly, match="not a partner account"):
        await accounts.set_weekly_report("agent@cma-exemple.fr", True)
    with pytest.raises(PartnerOnly, match="not a partner account"):
        await accounts.set_territory("agent@cma-exemple.fr", None, "Saône-et-Loire")
    assert (await accounts.find("agent@cma-exemple.fr")).territory_label is None
