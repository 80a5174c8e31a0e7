"""Staff sessions, on SQLite and PostgreSQL: the cookie, idle and absolute expiry, logout, and what ends them."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from bot import appkeys
from bot.settings import Settings
from bot.staff.sessions import SESSION_COOKIE
from bot.storage.models import StaffSession


@pytest.fixture
def settings(make_settings, database_url: str) -> Settings:
    return make_settings(database_url)


async def logged_in(browser) -> bool:
    response = await browser.get("/staff/")
    if response.status == 200:
        return True
    assert response.status == 303 and response.headers["Location"].startswith("/staff/login?next=")
    return False


async def stored_sessions(client) -> list[StaffSession]:
    async with client.app[appkeys.DATABASE].connect() as connection:
        return list(await connection.execute(select(StaffSession)))


async def test_the_session_cookie_is_httponly_lax_and_not_secure_over_http(browser, agent) -> None:
    response = await browser.login(agent.email)
    cookie = response.cookies[SESSION_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert not cookie["secure"]


async def test_the_cookie_is_secure_behind_an_https_proxy_when_trusted(make_client, make_settings, database_url, new_browser) -> None:
    for trust_proxy in (True, False):
        client = await make_client(make_settings(database_url, trust_proxy=trust_proxy))
        account = await client.app[appkeys.STAFF_ACCOUNTS].create(f"p{int(trust_proxy)}@cma-exemple.fr", "correct horse battery", "agent")
        browser = new_browser(client=client, headers={"X-Forwarded-Proto": "https"})
        form = await browser.get("/staff/login")
        response = await browser.login(account.email, "correct horse battery")
        assert response.status == 303
        assert bool(response.cookies[SESSION_COOKIE]["secure"]) is trust_proxy
        assert bool(form.cookies["crisisbot_csrf"]["secure"]) is trust_proxy


async def test_only_the_tokens_hash_is_stored(client, browser, agent) -> None:
    await browser.login(agent.email)
    token = browser.session
    assert len(token) >= 43  # 32 random bytes, base64url
    [row] = await stored_sessions(client)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert row.account_id == agent.id


async def test_a_session_ends_after_eight_idle_hours(browser, agent, clock) -> None:
    await browser.login(agent.email)
    clock.advance(hours=7, minutes=59)
    assert await logged_in(browser)
    clock.advance(hours=7, minutes=59)
    assert await logged_in(browser), "each request moves the idle limit"
    clock.advance(hours=8)
    response = await browser.get("/staff/")
    assert response.status == 303
    assert response.cookies[SESSION_COOKIE].value == "", "the ended session's cookie is deleted"


async def test_a_session_ends_seven_days_after_login_however_busy(client, browser, agent, clock) -> None:
    await browser.login(agent.email)
    for _ in range(27):  # a request every 6 hours, for 6 days and 18 hours
        clock.advance(hours=6)
        assert await logged_in(browser)
    clock.advance(hours=6)  # 7 days and 0 hours
    assert not await logged_in(browser)
    assert await stored_sessions(client) == []


async def test_logout_ends_the_session_on_the_server(client, new_browser, agent) -> None:
    browser = new_browser()
    await browser.login(agent.email)
    old_cookie = browser.session
    response = await browser.post("/staff/logout", data={"csrf_token": await browser.csrf_token()})
    assert response.status == 303 and response.headers["Location"] == "/staff/login"
    assert response.cookies[SESSION_COOKIE].value == ""
    assert await stored_sessions(client) == []

    replay = new_browser()
    replay.cookies[SESSION_COOKIE] = old_cookie
    assert not await logged_in(replay)


async def test_changing_the_password_ends_every_session_of_the_account(client, new_browser, agent, admin) -> None:
    phone, laptop, other = new_browser(), new_browser(), new_browser()
    await phone.login(agent.email)
    await laptop.login(agent.email)
    await other.login(admin.email)
    await client.app[appkeys.STAFF_ACCOUNTS].set_password(agent.email, "a brand new passphrase")
    assert not await logged_in(phone) and not await logged_in(laptop)
    assert await logged_in(other)
    assert (await phone.login(agent.email, "a brand new passphrase")).status == 303


async def test_disabling_an_account_ends_its_sessions(client, browser, agent) -> None:
    await browser.login(agent.email)
    await client.app[appkeys.STAFF_ACCOUNTS].set_active(agent.email, False)
    assert not await logged_in(browser)


async def test_a_new_login_replaces_the_browsers_previous_session(client, browser, agent, admin) -> None:
    await browser.login(agent.email)
    first = browser.session
    await browser.login(admin.email)
    assert browser.session != first
    assert [row.account_id for row in await stored_sessions(client)] == [admin.id]


async def test_a_made_up_cookie_is_refused_and_deleted(browser) -> None:
    browser.cookies[SESSION_COOKIE] = "x" * 43
    response = await browser.get("/staff/")
    assert response.status == 303 and response.cookies[SESSION_COOKIE].value == ""
