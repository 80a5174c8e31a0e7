"""CSRF: a state-changing staff request without its session's token is refused with 403 and changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from bot import appkeys
from bot.staff.csrf import LOGIN_CSRF_COOKIE
from bot.storage.models import StaffSession

REFUSAL = "La vérification de sécurité du formulaire a échoué"


async def still_logged_in(browser) -> bool:
    return (await browser.get("/staff/")).status == 200


async def session_rows(client) -> int:
    async with client.app[appkeys.DATABASE].connect() as connection:
        return await connection.scalar(select(func.count()).select_from(StaffSession))


async def test_logout_without_a_token_is_refused_and_keeps_the_session(browser, agent) -> None:
    await browser.login(agent.email)
    response = await browser.post("/staff/logout")
    assert response.status == 403
    assert REFUSAL in (await response.json())["error"]
    assert await still_logged_in(browser)


async def test_a_browser_form_gets_the_refusal_as_a_french_page(browser, agent) -> None:
    await browser.login(agent.email)
    response = await browser.post("/staff/logout", data={"csrf_token": ""}, headers={"Accept": "text/html"})
    assert response.status == 403 and response.content_type == "text/html"
    assert REFUSAL in await response.text()
    assert await still_logged_in(browser)


async def test_a_wrong_token_is_refused(browser, agent) -> None:
    await browser.login(agent.email)
    token = await browser.csrf_token()
    for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x", token + "x", "é" * 43):
        assert (await browser.post("/staff/logout", data={"csrf_token": wrong})).status == 403
        assert (await browser.post("/staff/logout", headers={"X-CSRF-Token": wrong.encode().hex()})).status == 403
    assert await still_logged_in(browser)


async def test_another_sessions_token_is_refused(new_browser, agent, admin) -> None:
    mine, theirs = new_browser(), new_browser()
    await mine.login(agent.email)
    await theirs.login(admin.email)
    their_token = await theirs.csrf_token()
    assert (await mine.post("/staff/logout", data={"csrf_token": their_token})).status == 403
    assert (await mine.post("/staff/logout", headers={"X-CSRF-Token": their_token})).status == 403
    assert await still_logged_in(mine) and await still_logged_in(theirs)


async def test_the_right_token_works_as_form_field_or_header(new_browser, agent) -> None:
    by_form, by_header = new_browser(), new_browser()
    await by_form.login(agent.email)
    await by_header.login(agent.email)
    response = await by_form.post("/staff/logout", data={"csrf_token": await by_form.csrf_token()})
    assert response.status == 303
    response = await by_header.post("/staff/logout", headers={"X-CSRF-Token": await by_header.csrf_token()})
    assert response.status == 303
    assert not await still_logged_in(by_form) and not await still_logged_in(by_header)


async def test_a_new_login_gets_a_new_token(browser, agent) -> None:
    await browser.login(agent.email)
    first = await browser.csrf_token()
    await browser.login(agent.email)
    assert await browser.csrf_token() != first


async def test_the_login_form_needs_its_cookie_and_field_to_match(client, browser, agent, password) -> None:
    await browser.get("/staff/login")
    cookie = browser.cookies[LOGIN_CSRF_COOKIE]
    form = {"email": agent.email, "password": password}
    attempts = [
        ({**form}, cookie),  # no field
        ({**form, "csrf_token": "x" * 43}, cookie),  # wrong field
        ({**form, "csrf_token": cookie}, None),  # no cookie
    ]
    for data, cookie_value in attempts:
        browser.cookies.pop(LOGIN_CSRF_COOKIE, None)
        if cookie_value:
            browser.cookies[LOGIN_CSRF_COOKIE] = cookie_value
        response = await browser.post("/staff/login", data=data, headers={"Accept": "text/html"})
        assert response.status == 403 and REFUSAL in await response.text()
        assert browser.session is None
    assert await session_rows(client) == 0
    assert (await client.app[appkeys.STAFF_ACCOUNTS].get(agent.id)).last_login_at is None


async def test_the_login_form_carries_the_token_of_its_cookie(browser) -> None:
    page = await browser.get("/staff/login")
    cookie = page.cookies[LOGIN_CSRF_COOKIE]
    assert len(cookie.value) >= 43 and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert f'name="csrf_token" value="{cookie.value}"' in await page.text()
    again = await browser.get("/staff/login")
    assert f'value="{cookie.value}"' in await again.text(), "the same browser keeps its token"
