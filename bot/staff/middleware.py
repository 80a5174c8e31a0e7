"""This module contains the staff pages' access control: one middleware, and how a route declares who may use it.

Every request under `/staff` goes through `staff_access`. Each handler declares its access with one decorator:

    @require_role("agent")      # the chamber's staff: agents and admins (a partner gets 403)
    async def callbacks(request: web.Request) -> web.StreamResponse: ...

    @require_role("partner")    # any logged-in, active account: partners, agents and admins (the reports)
    async def report(request: web.Request) -> web.StreamResponse: ...

    @require_role("admin")      # admins only: an agent gets 403
    async def retraining(request: web.Request) -> web.StreamResponse: ...

    @public                     # anyone: only the login form
    async def login_page(request: web.Request) -> web.StreamResponse: ...

then adds it to the route table (`web.get("/staff/callbacks/", callbacks)` in its module's `routes`, which
create_app registers). A class-based view is decorated the same way. A handler under /staff without a
declaration is treated as admin-only (closed by default), and the access-control tests, which walk the
app's route table, fail until it declares one.

What the middleware does, in order:
1. Finds the session from the `crisisbot_session` cookie; `current_staff(request)` then gives the account.
2. Anonymous on a non-public route: an HTML GET is redirected (303) to `/staff/login?next=<path>`;
   anything else (other methods, `Accept: application/json`) gets 401 JSON.
3. An agent or a partner on an admin route, a partner on an agent route: 403.
4. POST, PUT, PATCH, DELETE must carry the session's CSRF token (form field `csrf_token` or header
   `X-CSRF-Token`); on the public login form, the `crisisbot_csrf` cookie's value. Otherwise 403, and the
   handler does not run.
5. Every /staff answer is kept out of caches and frames; a cookie of an ended session is deleted.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp_jinja2
from aiohttp import web
from yarl import URL

from bot import appkeys
from bot.staff.csrf import LOGIN_CSRF_COOKIE, sent_token, tokens_match
from bot.staff.sessions import SESSION_COOKIE, CurrentStaff, clear_session_cookie
from bot.storage.models import StaffRole
from bot.web.headers import SECURITY_HEADERS
from bot.web.json_api import json_error

logger = logging.getLogger(__name__)

STAFF_PREFIX = "/staff"
LOGIN_PATH = "/staff/login"
HOME_PATH = "/staff/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ACCESS_ATTRIBUTE = "staff_access"

LOGIN_NEEDED = "Connectez-vous pour continuer."
ADMINS_ONLY = "Cette page est réservée aux administrateurs."
STAFF_ONLY = "Cette page est réservée au personnel de la Chambre. Vos rapports sont sur la page Rapports."
CSRF_REFUSED = "La vérification de sécurité du formulaire a échoué : rechargez la page, puis réessayez."
UNREADABLE_FORM = "Le formulaire contient un caractère illisible (pas de l'UTF-8 valide) : retapez le texte, puis réessayez."


Handler = TypeVar("Handler")


class Access(enum.StrEnum):
    """Who may use a staff route."""

    PUBLIC = "public"
    PARTNER = "partner"  # every account: partners, agents and admins
    AGENT = "agent"  # agents and admins
    ADMIN = "admin"


def require_role(role: StaffRole | str) -> Callable[[Handler], Handler]:
    """Declare a handler for `partner` (every account), `agent` (agents and admins) or `admin` (admins only)."""
    access = Access(StaffRole(role).value)

    def declare(handler: Handler) -> Handler:
        setattr(handler, ACCESS_ATTRIBUTE, access)
        return handler

    return declare


def public(handler: Handler) -> Handler:
    """Declare a handler open to anyone (the login form)."""
    setattr(handler, ACCESS_ATTRIBUTE, Access.PUBLIC)
    return handler


def access_of(handler: Any) -> Access | None:
    """The access a handler declared; None when it declared none (the middleware then allows admins only)."""
    return getattr(handler, ACCESS_ATTRIBUTE, None)


def is_staff_path(path: str) -> bool:
    return path == STAFF_PREFIX or path.startswith(STAFF_PREFIX + "/")


def current_staff(request: web.Request) -> CurrentStaff:
    """The logged-in account of a request on a non-public staff route."""
    return request[appkeys.STAFF]


def wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def refuse(request: web.Request, status: int, message: str) -> web.Response:
    """A refusal in French: a small page for a browser, `{"error": ...}` for a script."""
    accept = request.headers.get("Accept", "")
    if not wants_json(request) and (request.method in SAFE_METHODS or "text/html" in accept):
        context = {"staff": request.get(appkeys.STAFF), "message": message, "status": status}
        return aiohttp_jinja2.render_template("staff/error.html", request, context, status=status)
    return json_error(status, message)


def login_redirect(request: web.Request) -> web.Response:
    location = URL(LOGIN_PATH).with_query(next=request.rel_url.raw_path_qs)
    return web.Response(status=303, headers={"Location": str(location)})


@web.middleware
async def staff_access(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Enforce login, role and CSRF on every /staff request (see the module's docstring)."""
    if not is_staff_path(request.path):
        return await handler(request)
    try:
        response = await _guarded(request, handler)
    except web.HTTPException as exc:
        _finish(request, exc)
        raise
    _finish(request, response)
    return response


async def _guarded(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    staff = await _sign_in(request)
    matched = request.match_info.http_exception is None
    # An unknown /staff path is somebody's page for anyone not logged in: they learn nothing about it.
    access = (access_of(request.match_info.handler) or Access.ADMIN) if matched else Access.AGENT
    if access is not Access.PUBLIC:
        if staff is None:
            if request.method in ("GET", "HEAD") and not wants_json(request):
                return login_redirect(request)
            return json_error(401, LOGIN_NEEDED)
        if access is Access.ADMIN and not staff.is_admin:
            return refuse(request, 403, ADMINS_ONLY)
        if access is Access.AGENT and staff.is_partner:
            return refuse(request, 403, STAFF_ONLY)
    if matched and request.method not in SAFE_METHODS:
        expected = request.cookies.get(LOGIN_CSRF_COOKIE) if access is Access.PUBLIC else staff.csrf_token
        try:
            sent = await sent_token(request)
        except UnicodeDecodeError:
            # A multipart text field that is not UTF-8 (a lone surrogate's bytes, say): aiohttp decodes it
            # strictly when the form is first read, here. No browser sends it; nothing is stored.
            return refuse(request, 400, UNREADABLE_FORM)
        if not tokens_match(sent, expected):
            logger.info("Refused %s %s: missing or wrong CSRF token", request.method, request.path)
            return refuse(request, 403, CSRF_REFUSED)
    return await handler(request)


async def _sign_in(request: web.Request) -> CurrentStaff | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 128:
        return None
    staff = await request.app[appkeys.STAFF_SESSIONS].resolve(token)
    if staff is not None:
        request[appkeys.STAFF] = staff
    return staff


def _finish(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    ended = SESSION_COOKIE in request.cookies and appkeys.STAFF not in request
    if ended and SESSION_COOKIE not in response.cookies:
        clear_session_cookie(response)
