"""This module contains the CSRF tokens of the staff pages: where a request carries one, and how it is checked.

A logged-in session has its own random token, stored with it; the login form, before any session, uses a
double-submit token: a random `crisisbot_csrf` cookie that the form must repeat.
"""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LOGIN_CSRF_COOKIE = "crisisbot_csrf"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(sent: str | None, expected: str | None) -> bool:
    """Constant-time comparison; a missing or empty token never matches."""
    if not sent or not expected:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


async def sent_token(request: web.Request) -> str | None:
    """The token a request carries: the `X-CSRF-Token` header, else the form's `csrf_token` field.

    Reading the form here is free for the handler: aiohttp keeps the parsed form for `request.post()`.
    """
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.content_type in FORM_TYPES:
        value = (await request.post()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def login_token(request: web.Request) -> str:
    """The login form's token: the one the browser's cookie already holds, or a fresh one."""
    existing = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return existing if 32 <= len(existing) <= 64 else new_token()


def set_login_cookie(response: web.StreamResponse, token: str, *, secure: bool) -> None:
    response.set_cookie(LOGIN_CSRF_COOKIE, token, path="/staff", httponly=True, samesite="Lax", secure=secure)
