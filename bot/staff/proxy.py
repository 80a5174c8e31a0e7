"""This module contains what the gateway believes about a request's origin: its client's address and HTTPS.

With `TRUST_PROXY=1` (the gateway behind its HTTPS reverse proxy), it believes `X-Forwarded-Proto` and the
last address of `X-Forwarded-For` (the one the proxy added); otherwise only the connection itself.
"""

from __future__ import annotations

from aiohttp import web

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
