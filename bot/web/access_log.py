"""This module contains AccessLog, the gateway's access log: method, path, status and time, no query string.

aiohttp's default line quotes the request line ("%r"), query string included: Meta's `hub.verify_token`,
the web chat's `history?sender=...` (the id that opens a conversation) and any other secret sent in a query
would sit in the log at INFO. The Referer (which can hold one too) and the client's address (personal data)
are left out as well; the reverse proxy keeps its own log.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger


class AccessLog(AbstractAccessLogger):
    """One line a request: `GET /webhooks/rest/history 200 0.004s`."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        # The raw path, still percent-encoded: a decoded one could put a line break in the log.
        self.logger.info("%s %s %s %.3fs", request.method, request.rel_url.raw_path, response.status, time)
