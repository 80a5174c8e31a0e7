"""This module contains what the gateway believes about a request's origin: its client's address and HTTPS.

With `TRUST_PROXY=1` (the gateway behind its HTTPS reverse proxy), it believes `X-Forwarded-Proto` and the
last address of `X-Forwarded-For` (the one the proxy added); otherwise only the connection itself. The
gateway's own origin is that scheme with the request's Host (the proxy passes the Host it was asked for).
"""

from __future__ import annotations

from aiohttp import web
from yarl import URL

from bot import appkeys


def _trust_proxy(request: web.Request) -> bool:
    return request.app[appkeys.SETTINGS].trust_proxy


def is_https(request: web.Request) -> bool:
    if request.secure:
        return True
    if _trust_proxy(request):
        proto = request.headers.get("X-Forwarded-Proto", "")
        return proto.split(",")[-1].strip().lower() == "https"
    return False


def client_ip(request: web.Request) -> str:
    if _trust_proxy(request):
        forwarded = request.headers.get("X-Forwarded-For", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.remote or "unknown"


def from_own_origin(request: web.Request) -> bool:
    """Whether the request's Origin is the gateway's own: same scheme, host and port (a missing one is not)."""
    origin = request.headers.get("Origin", "")
    scheme = "https" if is_https(request) else "http"
    try:
        sent, own = URL(origin), URL(f"{scheme}://{request.host}")
        return bool(sent.host) and (sent.scheme, sent.host, sent.port) == (own.scheme, own.host, own.port) and (
            sent.path in ("", "/") and not sent.query_string and not sent.user
        )
    except ValueError:
        return False
