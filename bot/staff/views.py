"""This module contains the staff pages (login, logout, home, the admins' list of accounts with the partners' weekly
report switch) and their templates' setup."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from yarl import URL

from bot import appkeys
from bot.shared.french import PARIS
from bot.staff.csrf import login_token, set_login_cookie
from bot.staff.forms import field, record_id
from bot.staff.labels import FILTERS as LABEL_FILTERS
from bot.staff.middleware import HOME_PATH, LOGIN_PATH, current_staff, public, require_role
from bot.staff.proxy import client_ip, is_https
from bot.staff.sessions import SESSION_COOKIE, clear_session_cookie, set_session_cookie
from bot.storage.models import StaffRole

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"
ROLE_LABELS = {StaffRole.AGENT: "conseiller", StaffRole.ADMIN: "administrateur", StaffRole.PARTNER: "partenaire"}
# Where a partner lands: the only pages it may see.
REPORTS_PATH = "/staff/reports/"
ACCOUNTS_PATH = "/staff/admin/"
WEEKLY_DONE = {
    "on": "Le rapport hebdomadaire sera envoyé à {email} chaque lundi.",
    "off": "Le rapport hebdomadaire ne sera plus envoyé à {email}.",
}

FIELDS_MISSING = "Saisissez votre adresse e-mail et votre mot de passe."
WRONG_LOGIN = "Adresse e-mail ou mot de passe incorrect."
TOO_MANY_ATTEMPTS = "Trop de tentatives de connexion. Réessayez dans quelques minutes."


def paris_time(value: datetime | None) -> str:
    """A stored UTC time as the chamber reads it: `12/04/2020 à 14:03`, Europe/Paris."""
    if value is None:
        return "jamais"
    return value.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")


def role_label(role: str) -> str:
    return ROLE_LABELS.get(StaffRole(role), role)


def setup_templates(app: web.Application) -> None:
    """Jinja2 for the staff pages, from bot/web/templates, every value escaped."""
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        filters={"paris_time": paris_time, "role_label": role_label, **LABEL_FILTERS},
        context_processors=[waiting_initiatives],
    )


async def waiting_initiatives(request: web.Request) -> dict[str, Any]:
    """For the navigation of a staff page: how many solidarity initiatives wait for a check."""
    service = request.config_dict.get(appkeys.INITIATIVES)
    staff = request.get(appkeys.STAFF)
    if service is None or request.method != "GET" or staff is None or staff.is_partner:
        return {}
    if not request.path.startswith("/staff") or request.headers.get("Accept", "").startswith("application/json"):
        return {}
    return {"initiatives_waiting": (await service.counts()).get("pending", 0)}


def render(request: web.Request, template: str, context: dict[str, Any], status: int = 200) -> web.Response:
    """A staff page; every template gets `staff` (the logged-in account, or None)."""
    return aiohttp_jinja2.render_template(
        template, request, {"staff": request.get(appkeys.STAFF), **context}, status=status
    )


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def local_path(value: str | None, default: str = HOME_PATH) -> str:
    """Where to go after login: a path on this site, never another site (no open redirect), never the login."""
    if not value or len(value) > 2048 or not value.isascii():
        return default
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return default
    url = URL(value)
    if url.scheme or url.host or url.path == LOGIN_PATH:
        return default
    return value


def _login_form(
    request: web.Request, next_path: str, *, email: str = "", error: str | None = None, status: int = 200
) -> web.Response:
    token = login_token(request)
    context = {"csrf_token": token, "next": next_path, "email": email, "error": error}
    response = render(request, "staff/login.html", context, status=status)
    set_login_cookie(response, token, secure=is_https(request))
    return response


@public
async def login_page(request: web.Request) -> web.Response:
    """Show the login form; someone already logged in goes on."""
    next_path = local_path(request.query.get("next"))
    if request.get(appkeys.STAFF) is not None:
        return see_other(next_path)
    return _login_form(request, next_path)


@public
async def login(request: web.Request) -> web.Response:
    """Check the email and password; open a session and go on, or show the form again with why."""
    form = await request.post()
    email, password = field(form, "email").strip(), field(form, "password")
    next_path = local_path(field(form, "next"))
    if not email or not password:
        return _login_form(request, next_path, email=email, error=FIELDS_MISSING, status=400)
    outcome = await request.app[appkeys.STAFF_ACCOUNTS].authenticate(email, password, client_ip(request))
    if outcome.account is None:
        if outcome.throttled:
            return _login_form(request, next_path, email=email, error=TOO_MANY_ATTEMPTS, status=429)
        return _login_form(request, next_path, email=email, error=WRONG_LOGIN, status=401)
    sessions = request.app[appkeys.STAFF_SESSIONS]
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        await sessions.close(previous)  # a new login never reuses a session (fixation)
    token = await sessions.open(outcome.account.id)
    response = see_other(next_path)
    # The login form's cookie stays: another tab's form still works, and it protects nothing once used.
    set_session_cookie(response, token, secure=is_https(request))
    return response


@require_role(StaffRole.PARTNER)
async def logout(request: web.Request) -> web.Response:
    """End this session, here and in the database, and go back to the login form.

    Conversations the adviser had go back to the bot, unless they are still logged in elsewhere.
    """
    await request.app[appkeys.STAFF_SESSIONS].close(request.cookies[SESSION_COOKIE])
    account_id = current_staff(request).account_id
    logger.info("Staff account %s logged out", account_id)
    await request.app[appkeys.HANDOFF_WATCH].release_absent(account_id)
    response = see_other(LOGIN_PATH)
    clear_session_cookie(response)
    return response


@require_role(StaffRole.PARTNER)
async def to_home(_: web.Request) -> web.Response:
    return see_other(HOME_PATH)


@require_role(StaffRole.PARTNER)
async def home(request: web.Request) -> web.Response:
    """Say who is logged in, with what role; a partner goes to its reports, the only pages it has."""
    if current_staff(request).is_partner:
        return see_other(REPORTS_PATH)
    return render(request, "staff/home.html", {})


@require_role(StaffRole.ADMIN)
async def accounts_page(request: web.Request) -> web.Response:
    """List the staff accounts: email, role, a partner's territory and weekly report, active, last login."""
    accounts = await request.app[appkeys.STAFF_ACCOUNTS].all()
    done = None
    if request.query.get("fait") in WEEKLY_DONE and request.query.get("compte"):
        done = WEEKLY_DONE[request.query["fait"]].format(email=request.query["compte"])
    return render(request, "staff/accounts.html", {"accounts": accounts, "done": done})


@require_role(StaffRole.ADMIN)
async def weekly_report_switch(request: web.Request) -> web.Response:
    """Put a partner on the weekly report's list, or take it off (`weekly_report` = on or off)."""
    form = await request.post()
    wanted = field(form, "weekly_report")
    account_id = record_id(request.match_info["id"])
    account = await request.app[appkeys.STAFF_ACCOUNTS].get(account_id) if account_id is not None else None
    if account is None or account.role != StaffRole.PARTNER or wanted not in WEEKLY_DONE:
        raise web.HTTPNotFound()
    changed = await request.app[appkeys.STAFF_ACCOUNTS].set_weekly_report(account.email, wanted == "on")
    logger.info("Weekly report of staff account %s switched %s", changed.id, wanted)
    return see_other(str(URL(ACCOUNTS_PATH).with_query(fait=wanted, compte=changed.email)))


routes = [
    web.get("/staff", to_home),
    web.get("/staff/", home),
    web.get("/staff/login", login_page),
    web.post("/staff/login", login),
    web.post("/staff/logout", logout),
    web.get("/staff/admin/", accounts_page),
    web.post("/staff/admin/accounts/{id}/weekly-report", weekly_report_switch),
]
