"""Login lockout, on SQLite and PostgreSQL: per email (5 in 15 minutes, locked 15 minutes) and per address (20)."""

from __future__ import annotations

import pytest

from bot import appkeys
from bot.settings import Settings

WRONG = "Adresse e-mail ou mot de passe incorrect."
LATER = "Trop de tentatives de connexion. Réessayez dans quelques minutes."


@pytest.fixture
def settings(make_settings, database_url: str) -> Settings:
    # Behind a proxy, so each test can come from the addresses it needs.
    return make_settings(database_url, trust_proxy=True)


async def fail(browser, email: str, times: int) -> None:
    for _ in range(times):
        response = await browser.login(email, "not the password at all")
        assert response.status == 401 and WRONG in await response.text()


async def test_five_failures_lock_the_email_even_for_the_right_password(browser, agent, clock) -> None:
    await fail(browser, agent.email, 4)
    fifth = await browser.login(agent.email, "still not the password")
    assert fifth.status == 429 and LATER in await fifth.text()

    locked = await browser.login(agent.email)
    assert locked.status == 429 and LATER in await locked.text()
    assert browser.session is None

    clock.advance(minutes=14, seconds=59)
    assert (await browser.login(agent.email)).status == 429, "attempts while locked do not count, nor end it"
    clock.advance(seconds=2)
    response = await browser.login(agent.email)
    assert response.status == 303 and browser.session


async def test_the_lock_says_the_same_whether_the_email_exists_or_not(new_browser, agent) -> None:
    known, unknown = new_browser(), new_browser()
    await fail(known, agent.email, 4)
    await fail(unknown, "personne@cma-exemple.fr", 4)
    for browser, email in ((known, agent.email), (unknown, "personne@cma-exemple.fr")):
        response = await browser.login(email, "wrong again, fifth")
        assert response.status == 429 and LATER in await response.text()


async def test_case_and_spaces_do_not_escape_the_count(browser, agent) -> None:
    for variant in ("Agent@CMA-exemple.fr", " agent@cma-exemple.fr ", "AGENT@CMA-EXEMPLE.FR", "agent@cma-exemple.fr"):
        await fail(browser, variant, 1)
    assert (await browser.login(agent.email.upper(), "fifth wrong one")).status == 429
    assert (await browser.login(agent.email)).status == 429


async def test_a_successful_login_resets_the_count(browser, agent) -> None:
    await fail(browser, agent.email, 4)
    assert (await browser.login(agent.email)).status == 303
    await fail(browser, agent.email, 4)
    assert (await browser.login(agent.email)).status == 303


async def test_failures_older_than_the_window_no_longer_count(browser, agent, clock) -> None:
    await fail(browser, agent.email, 4)
    clock.advance(minutes=15, seconds=1)
    await fail(browser, agent.email, 4)
    assert (await browser.login(agent.email)).status == 303


async def test_one_email_locked_leaves_the_others_alone(browser, agent, admin) -> None:
    await fail(browser, agent.email, 5 - 1)
    await browser.login(agent.email, "fifth")
    assert (await browser.login(admin.email)).status == 303


async def test_more_than_twenty_failures_from_one_address_are_refused(new_browser, agent, clock) -> None:
    attacker = new_browser(headers={"X-Forwarded-For": "203.0.113.7"})
    for n in range(5):  # four per email: no email gets locked, the address does
        await fail(attacker, f"essai{n}@cma-exemple.fr", 4)
    response = await attacker.login(agent.email)
    assert response.status == 429 and LATER in await response.text()

    colleague = new_browser(headers={"X-Forwarded-For": "198.51.100.20"})
    assert (await colleague.login(agent.email)).status == 303

    clock.advance(minutes=15, seconds=1)
    assert (await attacker.login(agent.email)).status == 303


async def test_an_unknown_email_still_costs_a_password_check(client, browser, agent, monkeypatch) -> None:
    passwords = client.app[appkeys.PASSWORDS]
    checked = []
    real = passwords._matches
    monkeypatch.setattr(passwords, "_matches", lambda h, p: checked.append(h) or real(h, p))
    await browser.login("personne@cma-exemple.fr", "some password here")
    await browser.login(agent.email, "some password here")
    assert len(checked) == 2 and all(h.startswith("$argon2id$") for h in checked)


async def test_a_disabled_account_fails_like_a_wrong_password(client, browser, agent) -> None:
    await client.app[appkeys.STAFF_ACCOUNTS].set_active(agent.email, False)
    response = await browser.login(agent.email)
    assert response.status == 401 and WRONG in await response.text()


async def test_an_empty_form_is_not_counted(browser, agent) -> None:
    for _ in range(6):
        response = await browser.login(agent.email, "")
        assert response.status == 400 and "Saisissez votre adresse e-mail et votre mot de passe" in await response.text()
    assert (await browser.login(agent.email)).status == 303
