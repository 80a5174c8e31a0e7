"""Access control on every staff route, walked from the app's route table: anonymous, agent and admin."""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import quote

import pytest
from yarl import URL

from bot.app import create_app
from bot.settings import Settings
from bot.staff import Access, access_of
from bot.staff.csrf import LOGIN_CSRF_COOKIE
from bot.staff.middleware import is_staff_path
from tests.bot.staff.conftest import partner_csrf_token


def staff_routes() -> list:
    """Every route under /staff that create_app registers, so a new page is checked without touching this file."""
    app = create_app(replace(Settings(), engine_token="routes-only"))
    return [
        pytest.param(route.method, route.resource.canonical, route.handler, id=f"{route.method} {route.resource.canonical}")
        for route in app.router.routes()
        if is_staff_path(route.resource.canonical)
    ]


STAFF_ROUTES = staff_routes()
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def concrete(path: str) -> str:
    """A route's path with a sample value for each variable part (`{id}` → 1)."""
    return re.sub(r"\{[^}]+\}", "1", path)


def denied_by_login(response) -> bool:
    return response.status == 401 or (
        response.status == 303 and response.headers["Location"].startswith("/staff/login?next=")
    )


def allowed(response) -> bool:
    """Served: the handler ran (a redirect, a form error or a 404 for a sample id all count; a 5xx does not)."""
    return response.status < 500 and response.status not in (401, 403) and not denied_by_login(response)


async def send(browser, method: str, path: str, access: Access, csrf_token: str | None):
    """The request, with a valid CSRF token when it changes state, so only access control can refuse it."""
    if method not in UNSAFE:
        return await browser.request(method, path)
    if access is Access.PUBLIC:
        browser.cookies[LOGIN_CSRF_COOKIE] = csrf_token = "d" * 43
    return await browser.request(method, path, data={"csrf_token": csrf_token or ""})


def test_the_staff_area_has_its_pages() -> None:
    paths = {param.values[1] for param in STAFF_ROUTES}
    assert {"/staff/", "/staff/login", "/staff/logout", "/staff/admin/"} <= paths


@pytest.mark.parametrize("method, path, handler", STAFF_ROUTES)
def test_every_staff_route_declares_who_may_use_it(method: str, path: str, handler) -> None:
    assert access_of(handler) is not None, (
        f"{method} {path}: decorate its handler with @require_role('agent'), @require_role('admin') or @public"
    )


@pytest.mark.parametrize("method, path, handler", STAFF_ROUTES)
async def test_anonymous(browser, method: str, path: str, handler) -> None:
    access = access_of(handler)
    response = await send(browser, method, concrete(path), access, None)
    if access is Access.PUBLIC:
        assert allowed(response), response.status
    elif method in ("GET", "HEAD"):
        assert response.status == 303
        assert response.headers["Location"] == f"/staff/login?next={quote(concrete(path), safe='/')}"
    else:
        assert response.status == 401
        assert (await response.json())["error"] == "Connectez-vous pour continuer."


@pytest.mark.parametrize("method, path, handler", [p for p in STAFF_ROUTES if p.values[0] == "GET"])
async def test_anonymous_asking_for_json_gets_401(browser, method: str, path: str, handler) -> None:
    response = await browser.get(concrete(path), headers={"Accept": "application/json"})
    if access_of(handler) is Access.PUBLIC:
        assert allowed(response)
    else:
        assert response.status == 401 and "Connectez-vous" in (await response.json())["error"]


@pytest.mark.parametrize("role", ["agent", "admin"])
@pytest.mark.parametrize("method, path, handler", STAFF_ROUTES)
async def test_signed_in(browser, agent, admin, role: str, method: str, path: str, handler) -> None:
    await browser.login(agent.email if role == "agent" else admin.email)
    csrf_token = await browser.csrf_token()
    access = access_of(handler)
    response = await send(browser, method, concrete(path), access, csrf_token)
    if access is Access.ADMIN and role == "agent":
        assert response.status == 403
        if method != "HEAD":
            assert "réservée aux administrateurs" in await response.text()
    else:
        assert allowed(response), response.status


async def test_an_unknown_staff_path_is_hidden_from_anonymous_and_404_once_logged_in(browser, agent) -> None:
    response = await browser.get("/staff/nothing-here")
    assert response.status == 303 and response.headers["Location"].startswith("/staff/login?next=")
    await browser.login(agent.email)
    assert (await browser.get("/staff/nothing-here")).status == 404


async def test_after_login_the_page_asked_for_opens(browser, admin) -> None:
    first = await browser.get("/staff/admin/?sort=email")
    login_url = URL(first.headers["Location"])
    assert login_url.query["next"] == "/staff/admin/?sort=email"
    page = await browser.get(str(login_url))
    assert 'name="next" value="/staff/admin/?sort=email"' in await page.text()
    response = await browser.login(admin.email, next=login_url.query["next"])
    assert response.status == 303 and response.headers["Location"] == "/staff/admin/?sort=email"


@pytest.mark.parametrize(
    "next_path",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/staff/\r\nSet-Cookie: x=1",
        "/staff/login",
        "/stäff/",
        "",
    ],
)
async def test_next_only_goes_to_a_local_path(browser, agent, next_path: str) -> None:
    response = await browser.login(agent.email, next=next_path)
    assert response.status == 303 and response.headers["Location"] == "/staff/"


async def test_next_on_the_login_page_is_checked_too(browser, agent) -> None:
    page = await browser.get("/staff/login", params={"next": "//evil.example/"})
    assert "evil" not in await page.text()
    await browser.login(agent.email)
    again = await browser.get("/staff/login", params={"next": "https://evil.example/"})
    assert again.status == 303 and again.headers["Location"] == "/staff/"


async def test_staff_pages_are_not_cached_nor_framed(browser, agent) -> None:
    for response in (await browser.get("/staff/login"), await browser.get("/staff/")):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


async def test_the_web_chat_is_not_behind_the_staff_login(browser) -> None:
    response = await browser.get("/")
    assert response.status == 200 and "X-Frame-Options" not in response.headers


@pytest.mark.parametrize("method, path, handler", STAFF_ROUTES)
async def test_a_partner_sees_the_reports_and_nothing_else(browser, partner, method: str, path: str, handler) -> None:
    await browser.login(partner.email)
    csrf_token = await partner_csrf_token(browser)
    access = access_of(handler)
    response = await send(browser, method, concrete(path), access, csrf_token)
    if access in (Access.PUBLIC, Access.PARTNER):
        assert allowed(response), response.status
    else:
        assert response.status == 403, response.status
        if method != "HEAD" and access is Access.AGENT:
            assert "réservée au personnel de la Chambre" in await response.text()


def test_partners_have_the_reports_login_and_logout() -> None:
    open_to_partners = {param.values[1] for param in STAFF_ROUTES if access_of(param.values[2]) is Access.PARTNER}
    assert {"/staff/", "/staff/logout", "/staff/reports/", "/staff/reports/rapport.pdf",
            "/staff/reports/rapport.csv"} <= open_to_partners
    assert not any(path.startswith(("/staff/callbacks", "/staff/console", "/staff/conversations"))
                   for path in open_to_partners)
